/**
 * The rendered notice the channels send: subject, text, HTML and notice.json. Rendering is the takedown
 * feature's (its templates); the outbox asks for it through this one seam, with the response link it
 * made, so that a notice sent again renders the same bytes.
 */
import type { NoticeRow } from '../../db/queries/notices.ts';
import type { ServiceContext } from '../platform/context.ts';

export interface RenderedForDelivery {
  subject: string;
  text: string;
  html: string;
  json: Record<string, unknown> & { items: Array<{ pageUrl: string | null; mediaUrl: string }> };
}

export type NoticeRenderer = (ctx: ServiceContext, notice: NoticeRow, respondUrl: string) => Promise<RenderedForDelivery>;

import { selectNoticeItems } from '../../db/queries/notices.ts';
import { selectPlatformById } from '../../db/queries/platforms.ts';

/** Until the takedown templates are merged: the facts of the notice, plainly. */
export const renderForDelivery: NoticeRenderer = async (ctx, notice, respondUrl) => {
  const items = await selectNoticeItems(ctx.sql, [notice.id]);
  const platform = await selectPlatformById(ctx.sql, notice.platform_id);
  const json = {
    schema: 'staydown-notice/1',
    reference: notice.reference,
    kind: notice.kind,
    platform: { name: notice.platform_name },
    deadlineHours: platform?.deadline_hours ?? null,
    respondUrl,
    items: items.map((i) => ({ pageUrl: i.page_url, mediaUrl: i.media_url, firstSeen: i.first_seen.toISOString() })),
  };
  const lines = items.map((i) => `- ${i.media_url}${i.page_url ? ` (on ${i.page_url})` : ''}`);
  const text = `Removal request ${notice.reference}\n\n${lines.join('\n')}\n\nAnswer at ${respondUrl}\n`;
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<p>Removal request ${esc(notice.reference)}</p><ul>${items.map((i) => `<li>${esc(i.media_url)}</li>`).join('')}</ul><p><a href="${esc(respondUrl)}">${esc(respondUrl)}</a></p>`;
  return { subject: `Removal request ${notice.reference}`, text, html, json };
};
