import type { NoticeChannel } from '../../db/queries/notices.ts';
import type { PlatformRow } from '../../db/queries/platforms.ts';

/** The channel a platform is reached on: its webhook, else e-mail, else its web form. */
export function channelFor(p: Pick<PlatformRow, 'webhook_url' | 'emails' | 'form_url'>): NoticeChannel {
  if (p.webhook_url) return 'webhook';
  if (p.emails.length > 0) return 'email';
  return 'form';
}
