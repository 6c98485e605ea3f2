/**
 * Re-uploads: a new alert whose material already had a confirmed alert anywhere is a re-upload. It is
 * marked (crawl_alerts.reupload), shown with the material's history (where and when it was found,
 * notified, removed; how many times) and listed first for review. When its media has exactly the SHA-256
 * of media already confirmed for that material, no person needs to look again: it is confirmed by the
 * system (auto_confirmed, audited as such) and takedown's drafting takes it into a notice on its next
 * pass (the `notice-draft` job, every 10 s). Everything else still waits for a person.
 *
 * Classification runs right after the crawl stores an alert (`withReuploads` around the crawl's alert
 * sink) and again in every monitoring pass for any alert still unclassified (a crash in between loses
 * nothing: NULL means "not looked at yet").
 */
import type { AlertSink } from '../../crawler/types.ts';
import {
  autoConfirmAlert, selectAlertIdByMaterialUrl, selectMaterialConfirmed, selectMaterialHistory, selectUnclassifiedAlerts, setAlertReupload,
  type MaterialHistoryRow,
} from '../../db/queries/monitoring.ts';
import type { Sql } from '../../db/sql.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { Logger } from '../platform/log.ts';

const SYSTEM: Actor = { userId: null, name: 'system', role: 'admin', source: 'monitoring' };

export interface ClassifyResult {
  classified: number;
  reuploads: number;
  autoConfirmed: string[];
}

export async function classifyAlerts(sql: Sql, opts: { ids?: string[]; limit?: number } = {}): Promise<ClassifyResult> {
  return sql.transaction(async (tx) => {
    const out: ClassifyResult = { classified: 0, reuploads: 0, autoConfirmed: [] };
    for (const a of await selectUnclassifiedAlerts(tx, opts.limit ?? 500, opts.ids)) {
      const prior = await selectMaterialConfirmed(tx, a.material_id, a.id, a.media_sha256);
      const reupload = prior.confirmed > 0;
      await setAlertReupload(tx, a.id, reupload);
      out.classified++;
      if (!reupload) continue;
      out.reuploads++;
      await appendAudit(tx, SYSTEM, { action: 'alert.reupload', recordType: 'alert', recordId: a.id, caseCode: a.case_code, detail: { material: a.material_id, priorConfirmed: prior.confirmed } });
      if (prior.same_bytes > 0 && a.status === 'new' && (await autoConfirmAlert(tx, a.id))) {
        await appendAudit(tx, SYSTEM, { action: 'alert.confirm', recordType: 'alert', recordId: a.id, caseCode: a.case_code, detail: { material: a.material_id, automatic: true, reason: 'same-sha256-as-confirmed' } });
        out.autoConfirmed.push(a.id);
      }
    }
    return out;
  });
}

/** The crawl's alert sink, with every new alert classified at once. A failure here never loses the alert. */
export function withReuploads(sink: AlertSink, sql: Sql, log?: Logger): AlertSink {
  return {
    async raise(alert, captureEvidence) {
      const created = await sink.raise(alert, captureEvidence);
      if (created) {
        try {
          const id = await selectAlertIdByMaterialUrl(sql, alert.hit.materialId, alert.mediaUrl);
          if (id) {
            const r = await classifyAlerts(sql, { ids: [id] });
            if (r.reuploads) log?.info({ alert: id, material: alert.hit.materialId, autoConfirmed: r.autoConfirmed.length > 0 }, 're-upload of confirmed material');
          }
        } catch (err) {
          log?.warn({ material: alert.hit.materialId, err: (err as Error).message }, 'a new alert could not be classified now; the monitoring pass does it');
        }
      }
      return created;
    },
  };
}

export interface Sighting {
  alertId: string;
  site: string;
  pageUrl: string;
  mediaUrl: string;
  foundAt: string;
  status: string;
  confirmedAt: string | null;
  autoConfirmed: boolean;
  reupload: boolean;
  notifiedAt: string | null;
  removedAt: string | null;
  state: string | null;
}

export interface MaterialHistory {
  /** Sightings of the material (alerts not rejected), this one included. */
  times: number;
  confirmed: number;
  notified: number;
  removed: number;
  sightings: Sighting[];
}

/** A material's history from its rows (pure). */
export function materialHistoryFrom(rows: readonly MaterialHistoryRow[]): MaterialHistory {
  const sightings = rows.map((r) => ({
    alertId: r.alert_id, site: r.site_name, pageUrl: r.page_url, mediaUrl: r.media_url, foundAt: r.found_at.toISOString(), status: r.status,
    confirmedAt: r.status === 'confirmed' ? r.decided_at?.toISOString() ?? null : null, autoConfirmed: r.auto_confirmed, reupload: r.reupload === true,
    notifiedAt: r.notified_at?.toISOString() ?? null, removedAt: r.removed_at?.toISOString() ?? null, state: r.state,
  }));
  return {
    times: sightings.length,
    confirmed: sightings.filter((s) => s.status === 'confirmed').length,
    notified: sightings.filter((s) => s.notifiedAt).length,
    removed: sightings.filter((s) => s.removedAt).length,
    sightings,
  };
}

/** The histories of several materials at once (the alert list's re-uploads). */
export async function materialHistories(sql: Sql, materialIds: string[]): Promise<Map<string, MaterialHistory>> {
  const rows = await selectMaterialHistory(sql, [...new Set(materialIds)]);
  const by = new Map<string, MaterialHistoryRow[]>();
  for (const r of rows) by.set(r.material_id, [...(by.get(r.material_id) ?? []), r]);
  return new Map([...by].map(([k, v]) => [k, materialHistoryFrom(v)]));
}
