/**
 * Accepting an escalation proposal: a staff member or administrator confirms the proposed records, which
 * are then created (or the existing ones reused) and chained - the platform escalates to the first (the
 * KCSC, or the host), the host to the next (the registrar) unless it already names a target. Only from
 * then on do escalations go to them, on the next monitoring pass, with their package. One transaction;
 * audited with ids only.
 */
import { markProposalAccepted, selectProposal } from '../../db/queries/escalation-proposals.ts';
import { selectPlatformById, selectPlatformByName, setPlatformEscalateTo, type PlatformRow } from '../../db/queries/platforms.ts';
import { sqlState } from '../../db/sql.ts';
import { requirePermission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import { ConflictError, NotFoundError } from '../platform/errors.ts';
import { proposalJson, type EscalationProposal, type ProposedTarget } from './escalation-proposals.ts';
import { addPlatformIn, platformJson, type Platform } from './platforms.ts';

export interface AcceptedEscalation {
  platform: Platform;
  /** The platform's target now. */
  escalateTo: string;
  /** The whole chain from the platform's target on, in order. */
  chain: string[];
  /** Records created from the proposal. */
  created: string[];
  /** Existing records the proposal named. */
  reused: string[];
  proposal: EscalationProposal;
}

export async function acceptEscalationProposal(ctx: ServiceContext, actor: Actor, name: string): Promise<AcceptedEscalation> {
  requirePermission(actor, 'platform.manage');
  try {
    return await ctx.sql.transaction(async (tx) => {
      const site = await selectPlatformByName(tx, name, { forUpdate: true });
      if (!site) throw new NotFoundError(`There is no platform named '${name}'; 'staydown platform list' shows them.`);
      if (site.escalate_to) throw new ConflictError(`Platform '${site.name}' already escalates to '${site.escalate_to_name}'; change it with 'staydown platform change ${site.name} --escalate-to TARGET'.`);
      const row = await selectProposal(tx, site.id, { forUpdate: true });
      if (!row || row.status !== 'proposed') {
        throw new NotFoundError(row?.status === 'failed'
          ? `There is no escalation target to accept for platform '${site.name}': ${row.problem ?? 'the lookup failed.'}`
          : `There is no escalation proposal for platform '${site.name}': staydown proposes one when an escalation is due ('staydown monitor run'); or name a target with 'staydown platform change ${site.name} --escalate-to TARGET'.`);
      }
      const proposal = proposalJson(row);
      const chain: PlatformRow[] = [];
      const created: string[] = [];
      const reused: string[] = [];
      for (const t of proposal.targets as ProposedTarget[]) {
        let target = t.existing ? await selectPlatformByName(tx, t.existing) : null;
        if (target) reused.push(target.name);
        else {
          target = await addPlatformIn(tx, ctx.masterKey, actor, {
            name: t.name, kind: t.kind, domains: t.domains, emails: t.emails, formUrl: t.formUrl, jurisdiction: t.jurisdiction, language: t.language,
          });
          created.push(target.name);
        }
        if (target.id !== site.id && !chain.some((c) => c.id === target!.id)) chain.push(target);
      }
      if (chain.length === 0) throw new ConflictError(`The proposal for platform '${site.name}' names no record other than the platform itself; add its escalation target by hand.`);
      await setPlatformEscalateTo(tx, site.id, chain[0].id);
      // The host escalates to the registrar, unless someone already gave it a target of its own.
      for (let i = 0; i + 1 < chain.length; i++) {
        const current = await selectPlatformById(tx, chain[i].id);
        if (current && !current.escalate_to) await setPlatformEscalateTo(tx, chain[i].id, chain[i + 1].id);
      }
      await markProposalAccepted(tx, site.id, actor.userId);
      await appendAudit(tx, actor, { action: 'platform.accept-escalation', recordType: 'platform', recordId: site.id, detail: { targets: chain.map((c) => c.id), created: created.length } });
      const now = (await selectPlatformById(tx, site.id))!;
      return { platform: platformJson(now), escalateTo: chain[0].name, chain: chain.map((c) => c.name), created, reused, proposal: proposalJson((await selectProposal(tx, site.id))!) };
    });
  } catch (err) {
    if (sqlState(err) === '23505') throw new ConflictError(`A platform with a proposed record's name already exists; accept again (the proposal is looked up afresh on the next pass) or add the target by hand.`);
    throw err;
  }
}
