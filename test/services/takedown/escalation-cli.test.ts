/**
 * `staydown platform show NAME --json` with the escalation proposal and `staydown platform
 * accept-escalation NAME [--json]`, as child processes on the test database. The proposal is made by the
 * service function the monitoring pass calls, against a real RDAP server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../support/db.ts';
import { useTempDir } from '../../support/tmp.ts';
import { childEnv, runCli, serviceContext } from '../../support/service.ts';
import { rdapDomainAnswer, startRdapFixture, type RdapFixture } from '../../support/takedown.ts';
import { seedPlatformRow } from '../monitoring/support.ts';
import { proposeEscalationTargets } from '../../../services/takedown/index.ts';
import type { ServiceContext } from '../../../services/platform/context.ts';

const db = useTestDatabase('escalation_cli');
const tmp = useTempDir('escalation-cli');
let ctx: ServiceContext;
let env: NodeJS.ProcessEnv;
let rdap: RdapFixture;

beforeAll(async () => {
  ctx = await serviceContext(db(), tmp());
  rdap = await startRdapFixture({
    // The registrar's abuse address is on a domain an existing record already covers: reused, not duplicated.
    'cli-board.example': rdapDomainAnswer('cli-board.example', 'abuse@cli-registrar.example', 'CLI Registrar'),
  });
  env = childEnv(ctx, { STAYDOWN_RDAP_URL: rdap.url });
  const site = await seedPlatformRow(ctx.sql, { name: 'CLI Site', jurisdiction: 'US' });
  await ctx.sql.query("UPDATE platforms SET domains = '{cli-board.example}' WHERE id = $1", [site.id]);
  await seedPlatformRow(ctx.sql, { name: 'Registrar Record', kind: 'registrar', emails: ['abuse@cli-registrar.example'] }).then((r) => ctx.sql.query("UPDATE platforms SET domains = '{cli-registrar.example}' WHERE id = $1", [r.id]));
  // The host's network is unknown to this RDAP server (404): the proposal names the registrar alone and says why.
  await proposeEscalationTargets({ ...ctx, config: Object.freeze({ ...ctx.config, rdapUrl: rdap.url }) }, [{ platformId: site.id, urls: ['https://www.cli-board.example/p/1'] }], { resolve: async () => '198.51.100.7' });
});
afterAll(async () => rdap?.close());

describe('staydown platform and escalation proposals', () => {
  it('show --json carries the proposal; accept-escalation chains the existing record', async () => {
    const show = await runCli(['platform', 'show', 'CLI Site', '--json'], env);
    expect(show.status, show.stderr).toBe(0);
    const shown = JSON.parse(show.stdout);
    expect(shown).toMatchObject({ name: 'CLI Site', escalateTo: null, escalationProposal: { status: 'proposed', accept: 'staydown platform accept-escalation CLI Site', targets: [{ role: 'registrar', name: 'Registrar Record', existing: 'Registrar Record' }] } });
    expect(shown.escalationProposal.problem).toMatch(/The RDAP service knows no network for the address 198\.51\.100\.7; enter the host's contact by hand\./);
    const text = await runCli(['platform', 'show', 'CLI Site'], env);
    expect(text.stdout).toContain('proposed escalation (proposed, nothing is sent to it until accepted):');
    expect(text.stdout).toContain('accept with: staydown platform accept-escalation CLI Site');

    const accept = await runCli(['platform', 'accept-escalation', 'CLI Site', '--json'], env);
    expect(accept.status, accept.stderr).toBe(0);
    expect(JSON.parse(accept.stdout)).toMatchObject({ platform: { name: 'CLI Site', escalateTo: 'Registrar Record' }, escalateTo: 'Registrar Record', chain: ['Registrar Record'], created: [], reused: ['Registrar Record'] });
    const again = await runCli(['platform', 'accept-escalation', 'CLI Site'], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^staydown platform: Platform 'CLI Site' already escalates to 'Registrar Record'/);
  }, 180_000);
});
