/**
 * Refused requests (401, 403, 429) are logged and audited by id - the user id when the caller is known,
 * the route pattern, the status and the request id; never a typed password, a token or a name nobody
 * has. Logging is rate-limited per address (at most `perMinute` lines a minute; the next line that gets
 * through says how many were left out), so a flood of bad requests cannot flood the log. A refusal of a
 * known user (403) is always audited; an anonymous one (401) only within the same per-address budget,
 * so an anonymous flood cannot grow the audit log without bound either.
 */
import type { Sql } from '../../db/sql.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { Logger } from '../platform/log.ts';

/** The audit log's actor for a caller with no valid credential (the audit log does not store a role). */
export function anonymousActor(source: string): Actor {
  return { userId: null, name: 'anonymous', role: 'platform', source };
}

export interface Refusal {
  status: number;
  code: string;
  /** The route pattern ('POST /api/v1/cases/:code/erase'), never the concrete URL. */
  route: string;
  source: string;
  actor: Actor | null;
  requestId: string;
  /** Already audited by the code that refused (a failed sign-in): log only. */
  audited?: boolean;
}

export class RefusalRecorder {
  private readonly budgets = new Map<string, { start: number; used: number; suppressed: number }>();

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
    private readonly perMinute = 10,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Whether one more line for this address fits this minute, and how many were left out before it. */
  private take(source: string): { ok: boolean; suppressed: number } {
    const t = this.now();
    let b = this.budgets.get(source);
    if (!b || t - b.start >= 60_000) {
      if (this.budgets.size > 10_000) this.budgets.clear();
      const carried = b?.suppressed ?? 0;
      b = { start: t, used: 0, suppressed: carried };
      this.budgets.set(source, b);
    }
    if (b.used >= this.perMinute) {
      b.suppressed++;
      return { ok: false, suppressed: 0 };
    }
    b.used++;
    const suppressed = b.suppressed;
    b.suppressed = 0;
    return { ok: true, suppressed };
  }

  async record(r: Refusal): Promise<void> {
    const budget = this.take(r.source);
    if (budget.ok) {
      this.log.warn(
        { status: r.status, code: r.code, route: r.route, source: r.source, userId: r.actor?.userId ?? null, requestId: r.requestId, ...(budget.suppressed ? { suppressedBefore: budget.suppressed } : {}) },
        'request refused',
      );
    }
    const audit = !r.audited && ((r.status === 403 && r.actor !== null) || (r.status === 401 && budget.ok));
    if (!audit) return;
    try {
      await this.sql.transaction((tx) => appendAudit(tx, r.actor ?? anonymousActor(r.source), {
        action: 'request.refused', recordType: 'route', recordId: r.route, detail: { status: r.status, requestId: r.requestId },
      }));
    } catch (err) {
      this.log.error({ err: (err as Error).message, requestId: r.requestId }, 'a refused request could not be audited');
    }
  }
}
