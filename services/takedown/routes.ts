/** The takedown API: platforms, notices, and the confirmed alerts no platform covers. */
import { z } from 'zod';
import type { RouteDef } from '../http/route.ts';
import { draftNotices, listUnroutedAlerts } from './drafting.ts';
import { deliveryQueuer } from './jobs.ts';
import { approveNotice, approveNotices, cancelNotice, getNotice, listNotices } from './notices.ts';
import { NOTICE_STATUSES } from './notice-status.ts';
import { acceptEscalationProposal } from './escalation-accept.ts';
import { getPlatformWithProposal } from './escalation-proposals.ts';
import { addPlatform, changePlatform, JURISDICTIONS, listPlatforms, NOTICE_LANGUAGES, PLATFORM_KINDS, proposePlatform, type PlatformInput } from './platforms.ts';

const nameParams = z.object({ name: z.string().min(1).max(100) });
const idParams = z.object({ id: z.string().min(1).max(64) });

const platformFields = {
  name: z.string().min(1).max(100),
  domains: z.array(z.string().min(1).max(253)).min(1).max(200),
  kind: z.enum(PLATFORM_KINDS as [string, ...string[]]).optional(),
  jurisdiction: z.enum(JURISDICTIONS as [string, ...string[]]).optional(),
  language: z.enum(NOTICE_LANGUAGES as [string, ...string[]]).optional(),
  emails: z.array(z.string().min(3).max(254)).max(20).optional(),
  webhookUrl: z.string().max(2000).nullable().optional(),
  webhookSecret: z.string().max(500).nullable().optional(),
  /** Hosts of the webhook URL allowed on a non-public address; replaces the stored list. */
  webhookAllowHosts: z.array(z.string().min(1).max(253)).max(20).optional(),
  formUrl: z.string().max(2000).nullable().optional(),
  deadlineHours: z.number().int().min(1).max(8760).nullable().optional(),
  escalateTo: z.string().max(100).nullable().optional(),
  user: z.string().max(200).nullable().optional(),
};

export const takedownRoutes: RouteDef[] = [
  {
    method: 'GET', url: '/api/v1/platforms', summary: 'List the platforms that receive notices', tag: 'takedown', access: 'platform.read',
    handler: async ({ env, actor }) => ({ items: await listPlatforms(env.ctx, actor!) }),
  },
  {
    method: 'POST', url: '/api/v1/platforms', summary: 'Add a platform (domains it serves, jurisdiction, language, contacts, deadline)', tag: 'takedown', access: 'platform.manage',
    body: z.object(platformFields).strict(), status: 201,
    handler: async ({ env, actor, body }) => addPlatform(env.ctx, actor!, body as PlatformInput),
  },
  {
    method: 'POST', url: '/api/v1/platforms/propose', summary: 'Propose a platform record for a domain from its RDAP abuse contact (nothing is saved)', tag: 'takedown', access: 'platform.manage',
    body: z.object({ domain: z.string().min(1).max(2000) }).strict(),
    handler: async ({ env, actor, body }) => proposePlatform(env.ctx, actor!, (body as { domain: string }).domain),
  },
  {
    method: 'GET', url: '/api/v1/platforms/:name', summary: 'Show a platform (by name or id), with the escalation target staydown proposes for it (escalationProposal)', tag: 'takedown', access: 'platform.read', params: nameParams,
    handler: async ({ env, actor, params }) => getPlatformWithProposal(env.ctx, actor!, params.name),
  },
  {
    method: 'POST', url: '/api/v1/platforms/:name/accept-escalation', summary: 'Accept the proposed escalation targets: the records are created (or reused) and chained (platform -> host -> registrar, or -> KCSC)', tag: 'takedown', access: 'platform.manage', params: nameParams,
    handler: async ({ env, actor, params }) => acceptEscalationProposal(env.ctx, actor!, params.name),
  },
  {
    method: 'PATCH', url: '/api/v1/platforms/:name', summary: 'Change a platform; given lists replace the stored ones, null clears a field', tag: 'takedown', access: 'platform.manage', params: nameParams,
    body: z.object(platformFields).partial().strict(),
    handler: async ({ env, actor, params, body }) => changePlatform(env.ctx, actor!, params.name, body as PlatformInput),
  },
  {
    method: 'GET', url: '/api/v1/notices', summary: 'List notices (staff: those of their cases)', tag: 'takedown', access: 'notice.read',
    query: z.object({ status: z.enum(NOTICE_STATUSES as [string, ...string[]]).optional(), platform: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
    handler: async ({ env, actor, query }) => ({ items: await listNotices(env.ctx, actor!, query as { status?: string; platform?: string; limit?: number }) }),
  },
  {
    method: 'POST', url: '/api/v1/notices/draft', summary: 'Turn confirmed alerts into draft notices now (the periodic job does it every 10 s)', tag: 'takedown', access: 'notice.approve',
    handler: async ({ env, actor }) => {
      const { noticeIds: _ids, ...counts } = await draftNotices(env.ctx, actor!);
      return counts;
    },
  },
  {
    method: 'GET', url: '/api/v1/notices/unrouted', summary: 'Confirmed alerts no notice can take: no platform covers their page, or a URL carries personal data', tag: 'takedown', access: 'notice.read',
    handler: async ({ env, actor }) => ({ items: await listUnroutedAlerts(env.ctx, actor!) }),
  },
  {
    method: 'POST', url: '/api/v1/notices/approve', summary: 'Approve several draft notices in one step (all of them, or none with the reason); they are queued for delivery', tag: 'takedown', access: 'notice.approve',
    body: z.object({ ids: z.array(z.string().min(1).max(64)).min(1).max(1000) }).strict(),
    handler: async ({ env, actor, body }) => ({ items: await approveNotices(env.ctx, actor!, (body as { ids: string[] }).ids, env.send ? { queueDelivery: deliveryQueuer(env.send) } : {}) }),
  },
  {
    method: 'GET', url: '/api/v1/notices/:id', summary: 'Show a notice (by id or reference) with its rendered text, notice.json, history and warnings', tag: 'takedown', access: 'notice.read', params: idParams,
    handler: async ({ env, actor, params }) => getNotice(env.ctx, actor!, params.id),
  },
  {
    method: 'POST', url: '/api/v1/notices/:id/approve', summary: 'Approve a draft notice; it is queued for delivery', tag: 'takedown', access: 'notice.approve', params: idParams,
    handler: async ({ env, actor, params }) => approveNotice(env.ctx, actor!, params.id, env.send ? { queueDelivery: deliveryQueuer(env.send) } : {}),
  },
  {
    method: 'POST', url: '/api/v1/notices/:id/cancel', summary: 'Cancel a notice that is not being sent or sent', tag: 'takedown', access: 'notice.approve', params: idParams,
    handler: async ({ env, actor, params }) => cancelNotice(env.ctx, actor!, params.id),
  },
];
