/**
 * Content back at a URL that was removed: a new initial notice is drafted for it (it joins the case's
 * open draft for that platform when there is one), and goes through the same approval as any notice.
 * The item is copied from the notice that listed it first, so a page URL withheld then stays withheld.
 */
import { insertNotice, insertNoticeHistory, insertNoticeItems, selectNoticeItems, selectOpenDraft } from '../../db/queries/notices.ts';
import type { TrackedUrlRow } from '../../db/queries/monitoring.ts';
import { selectPlatformById } from '../../db/queries/platforms.ts';
import type { Sql } from '../../db/sql.ts';
import { channelFor } from '../takedown/index.ts';
import { appendAudit } from '../platform/audit.ts';

export async function draftRenotice(tx: Sql, row: TrackedUrlRow): Promise<string | null> {
  const platform = await selectPlatformById(tx, row.platform_id);
  if (!platform) return null;
  const [first] = (await selectNoticeItems(tx, [row.first_notice_id])).filter((i) => i.alert_id === row.alert_id);
  const refresh = { language: platform.language, jurisdiction: platform.jurisdiction, channel: channelFor(platform) };
  let notice = await selectOpenDraft(tx, row.case_id, row.platform_id);
  const created = !notice;
  notice ??= await insertNotice(tx, { caseId: row.case_id, platformId: row.platform_id, kind: 'initial', ...refresh });
  const added = await insertNoticeItems(tx, notice.id, [{
    alertId: row.alert_id,
    pageUrl: first ? first.page_url : row.page_url,
    pageUrlWithheld: first?.page_url_withheld ?? false,
    mediaUrl: row.media_url,
    firstSeen: first?.first_seen ?? row.first_notified_at,
  }]);
  await insertNoticeHistory(tx, notice.id, 'system', created ? 'drafted' : 'extended', { items: added, platformId: row.platform_id, reappeared: row.id, previousNoticeId: row.current_notice_id });
  await appendAudit(tx, { userId: null, name: 'system', role: 'admin', source: 'monitoring' }, {
    action: created ? 'notice.draft' : 'notice.extend', recordType: 'notice', recordId: notice.id, caseCode: row.case_code,
    detail: { items: added, platformId: row.platform_id, reappeared: row.id },
  });
  return notice.id;
}
