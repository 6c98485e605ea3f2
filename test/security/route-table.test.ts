/**
 * The role matrix's first line of defence (issue 14, "must show"): every route of the table declares
 * who may call it. test/services/http/api-access.test.ts walks every endpoint with every role; this
 * checks the table itself, so a new route cannot slip in open by omission.
 */
import { describe, expect, it } from 'vitest';
import { routes } from '../../services/http/server.ts';
import { can, ROLES } from '../../services/platform/access.ts';
import type { Permission } from '../../services/platform/access.ts';

/** The only routes anyone may call. */
// The notice response link: the 128-bit token in the path is the credential (services/delivery/responses.ts).
const PUBLIC = ['GET /livez', 'GET /readyz', 'POST /api/v1/session', 'GET /respond/:token', 'POST /respond/:token'];
/** The only routes any signed-in caller may call, whatever their role: about the caller themselves. */
const SIGNED_IN = ['DELETE /api/v1/session', 'GET /api/v1/me', 'POST /api/v1/me/password'];

describe('the route table', () => {
  it('every route names its access, and only the whitelisted ones are public or merely signed-in', () => {
    const pub = routes.filter((r) => r.access === 'public').map((r) => `${r.method} ${r.url}`);
    const signedIn = routes.filter((r) => r.access === 'signed-in').map((r) => `${r.method} ${r.url}`);
    expect(pub.sort()).toEqual([...PUBLIC].sort());
    expect(signedIn.sort()).toEqual([...SIGNED_IN].sort());
  });

  it('every other route requires a permission that the access table really grants to some role', () => {
    const bad: string[] = [];
    for (const r of routes) {
      if (r.access === 'public' || r.access === 'signed-in') continue;
      if (typeof r.access !== 'string' || !ROLES.some((role) => can(role, r.access as Permission))) bad.push(`${r.method} ${r.url}: '${String(r.access)}'`);
    }
    expect(bad).toEqual([]);
  });

  it('no route is granted to every role by its permission (that would be signed-in in disguise)', () => {
    const everyone = routes.filter((r) => r.access !== 'public' && r.access !== 'signed-in' && ROLES.every((role) => can(role, r.access as Permission)));
    expect(everyone.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it('routes are unique by method and path', () => {
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
