/**
 * The review API: alerts listed and read (facts first), their sealed evidence read part by part on
 * request, and decided. The page HTML is served as plain text in a sandbox: it is a hostile site's markup
 * and must never run in a reviewer's browser under the service's origin.
 */
import { z } from 'zod';
import type { RouteDef } from '../http/route.ts';
import { getAlert, getEvidence, listAlerts, readEvidencePart } from './alerts.ts';
import { confirmAlerts, rejectAlerts } from './decisions.ts';

const idParams = z.object({ id: z.uuid() });
const listQuery = z.object({
  status: z.enum(['new', 'confirmed', 'rejected']).optional(),
  site: z.string().min(1).max(63).optional(),
  case: z.string().min(3).max(20).optional(),
  after: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
}).strict();

export const reviewRoutes: RouteDef[] = [
  {
    method: 'GET', url: '/api/v1/alerts', summary: 'List match alerts, newest first (filters: status, site, case; `after` = the previous page\'s `next`)', tag: 'review',
    access: 'alert.read', query: listQuery,
    handler: async ({ env, actor, query }) => listAlerts(env.ctx, actor!, query as z.infer<typeof listQuery>),
  },
  {
    method: 'GET', url: '/api/v1/alerts/:id', summary: 'Read an alert: case code, material, site, URLs, method, distance, confidence, first/last seen, decision', tag: 'review',
    access: 'alert.read', params: idParams,
    handler: async ({ env, actor, params }) => getAlert(env.ctx, actor!, params.id),
  },
  {
    method: 'GET', url: '/api/v1/alerts/:id/evidence', summary: 'What evidence an alert has, and the media\'s hashes (audited)', tag: 'review',
    access: 'alert.evidence', params: idParams,
    handler: async ({ env, actor, params }) => getEvidence(env.ctx, actor!, params.id),
  },
  {
    method: 'GET', url: '/api/v1/alerts/:id/evidence/:part', summary: 'One sealed evidence part, decrypted: `screenshot` or `thumbnail` (JPEG) or `html` (as plain text); audited', tag: 'review',
    access: 'alert.evidence', params: idParams.extend({ part: z.enum(['screenshot', 'html', 'thumbnail']) }),
    handler: async ({ env, actor, params, reply }) => {
      const part = params.part as 'screenshot' | 'html' | 'thumbnail';
      const image = part !== 'html';
      const bytes = await readEvidencePart(env.ctx, actor!, params.id, part);
      reply.headers({
        'content-type': image ? 'image/jpeg' : 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'",
        'cache-control': 'no-store',
        'content-disposition': `attachment; filename="alert-${params.id}-${part}.${image ? 'jpg' : 'html.txt'}"`,
      });
      return bytes;
    },
  },
  {
    method: 'POST', url: '/api/v1/alerts/:id/confirm', summary: 'Confirm an alert: it is the material (a takedown notice follows)', tag: 'review',
    access: 'alert.decide', params: idParams,
    handler: async ({ env, actor, params }) => (await confirmAlerts(env.ctx, actor!, [params.id]))[0],
  },
  {
    method: 'POST', url: '/api/v1/alerts/:id/reject', summary: 'Reject an alert with a reason; `allowlist: true` keeps the same media (and copies) from alerting for this material again', tag: 'review',
    access: 'alert.decide', params: idParams,
    body: z.object({ reason: z.string().min(1).max(2000), allowlist: z.boolean().optional() }).strict(),
    handler: async ({ env, actor, params, body }) => (await rejectAlerts(env.ctx, actor!, [params.id], body as { reason: string; allowlist?: boolean }))[0],
  },
];
