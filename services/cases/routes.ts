import { z } from 'zod';
import { assignCaseStaff, eraseCase, getCase, listCases, openCase, updateCase, withdrawCase } from './cases.ts';
import { listKnownUrls, listMaterial } from './materials.ts';
import { handleUpload } from './upload.ts';
import type { RouteDef } from '../http/route.ts';

const codeParams = z.object({ code: z.string().min(3).max(20) });
const pageQuery = z.object({ after: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(500).optional() });
const personal = z.object({
  label: z.string().max(200).optional(),
  name: z.string().max(200).optional(),
  contacts: z.array(z.string().max(300)).max(20).optional(),
  notes: z.string().max(10_000).optional(),
}).strict();
const caseFields = {
  personal: personal.optional(),
  keywords: z.array(z.string().min(1).max(200)).max(100).optional(),
  consentAt: z.iso.datetime().nullable().optional(),
  monitorUntil: z.iso.datetime().nullable().optional(),
  keepEvidence: z.boolean().optional(),
  evidenceRetentionDays: z.number().int().min(1).max(3650).nullable().optional(),
};
const toDate = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : new Date(v));

export const caseRoutes: RouteDef[] = [
  {
    method: 'GET', url: '/api/v1/cases', summary: 'List cases (staff: their assigned cases; operators: codes and statuses only)', tag: 'cases', access: 'case.codes',
    query: pageQuery.extend({ status: z.enum(['open', 'monitoring', 'closed', 'withdrawn', 'erased']).optional() }),
    handler: async ({ env, actor, query }) => listCases(env.ctx, actor!, query as Parameters<typeof listCases>[2]),
  },
  {
    method: 'POST', url: '/api/v1/cases', summary: 'Open a case; returns its pseudonymous code', tag: 'cases', access: 'case.create',
    body: z.object(caseFields).strict(), status: 201,
    handler: async ({ env, actor, body }) => {
      const b = body as z.infer<z.ZodObject<typeof caseFields>>;
      return openCase(env.ctx, actor!, { ...b, consentAt: toDate(b.consentAt), monitorUntil: toDate(b.monitorUntil) });
    },
  },
  {
    method: 'GET', url: '/api/v1/cases/:code', summary: 'Read a case, with its decrypted personal data', tag: 'cases', access: 'case.read', params: codeParams,
    handler: async ({ env, actor, params }) => getCase(env.ctx, actor!, params.code),
  },
  {
    method: 'PATCH', url: '/api/v1/cases/:code', summary: 'Change a case\'s data or status', tag: 'cases', access: 'case.update', params: codeParams,
    body: z.object({ ...caseFields, status: z.enum(['open', 'monitoring', 'closed']).optional() }).strict(),
    handler: async ({ env, actor, params, body }) => {
      const b = body as z.infer<z.ZodObject<typeof caseFields>> & { status?: 'open' | 'monitoring' | 'closed' };
      return updateCase(env.ctx, actor!, params.code, { ...b, consentAt: toDate(b.consentAt), monitorUntil: toDate(b.monitorUntil) });
    },
  },
  {
    method: 'POST', url: '/api/v1/cases/:code/staff', summary: 'Assign a staff user to a case', tag: 'cases', access: 'case.assign', params: codeParams,
    body: z.object({ userId: z.uuid() }),
    handler: async ({ env, actor, params, body }) => {
      await assignCaseStaff(env.ctx, actor!, params.code, (body as { userId: string }).userId);
      return { ok: true };
    },
  },
  {
    method: 'POST', url: '/api/v1/cases/:code/withdraw', summary: 'The victim withdraws: matching stops at once', tag: 'cases', access: 'case.withdraw', params: codeParams,
    handler: async ({ env, actor, params }) => withdrawCase(env.ctx, actor!, params.code),
  },
  {
    method: 'POST', url: '/api/v1/cases/:code/erase', summary: 'Erase everything about the victim (crypto-shredding)', tag: 'cases', access: 'case.erase', params: codeParams,
    handler: async ({ env, actor, params }) => eraseCase(env.ctx, actor!, params.code),
  },
  {
    method: 'GET', url: '/api/v1/cases/:code/material', summary: 'List a case\'s registered material (fingerprints only)', tag: 'material', access: 'material.read',
    params: codeParams, query: pageQuery,
    handler: async ({ env, actor, params, query }) => listMaterial(env.ctx, actor!, params.code, query as { after?: string; limit?: number }),
  },
  {
    method: 'GET', url: '/api/v1/cases/:code/urls', summary: 'The URLs where the case\'s material was already seen (decrypted; the read is audited)', tag: 'material', access: 'material.read',
    params: codeParams,
    handler: async ({ env, actor, params }) => listKnownUrls(env.ctx, actor!, params.code),
  },
  {
    method: 'POST', url: '/api/v1/cases/:code/material',
    summary: 'Upload images or videos (multipart fields `file`, repeatable, and optional `url` fields in any order for where it was seen). Only fingerprints are kept. Each file\'s outcome is in `results`: 201 all registered, 207 some, else the first failure\'s status.',
    tag: 'material', access: 'material.add', params: codeParams, multipart: true, status: 201, errors: [207, 409, 422],
    handler: async ({ env, actor, params, req, reply }) => handleUpload(env.ctx, actor!, params.code, req, reply),
  },
];
