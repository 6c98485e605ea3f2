/**
 * Who may do what. One table of role -> permissions, checked by the service functions themselves, so
 * the HTTP API and the command line enforce the same rules. Staff reach only the cases they are
 * assigned to; operators see case codes and statuses, never victim data; auditors read the audit log.
 */
import type { Actor } from './audit.ts';
import { ROLES, type Role } from './roles.ts';
import { ForbiddenError } from './errors.ts';

export { ROLES };

export type Permission =
  | 'case.create' | 'case.read' | 'case.update' | 'case.codes' | 'case.assign' | 'case.withdraw' | 'case.erase'
  | 'material.add' | 'material.read'
  | 'user.manage'
  | 'audit.read'
  | 'site.read' | 'site.manage' | 'site.crawl'
  | 'alert.read' | 'alert.decide' | 'alert.evidence'
  | 'platform.manage' | 'platform.read'
  | 'notice.read' | 'notice.approve'
  | 'config.read'
  | 'notice.respond'
  | 'stats.read';

// Sites and alerts carry no victim data (case codes, URLs, hashes); the sealed evidence may show the
// material, so it is read on request only and every read is audited (services/review).
const REVIEW: readonly Permission[] = ['site.read', 'site.crawl', 'alert.read', 'alert.decide', 'alert.evidence'];
// Platforms (the recipients) and notices carry no victim data either (services/takedown).
const TAKEDOWN: readonly Permission[] = ['platform.manage', 'platform.read', 'notice.read', 'notice.approve'];

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['case.create', 'case.read', 'case.update', 'case.codes', 'case.assign', 'case.withdraw', 'case.erase', 'material.add', 'material.read', 'user.manage', 'audit.read', 'config.read', 'site.manage', ...REVIEW, ...TAKEDOWN, 'stats.read'],
  staff: ['case.create', 'case.read', 'case.update', 'case.codes', 'case.withdraw', 'case.erase', 'material.add', 'material.read', 'site.manage', ...REVIEW, ...TAKEDOWN, 'stats.read'],
  operator: ['case.codes', ...REVIEW, 'platform.read', 'notice.read'],
  // Platforms see and answer their own notices only (services/delivery/responses.ts).
  platform: ['notice.respond'],
  // Statistics are counts, times and platform names: no victim data (services/stats).
  auditor: ['audit.read', 'stats.read'],
};

/** Permissions that reach into one case: staff additionally need to be assigned to it. */
const CASE_SCOPED: ReadonlySet<Permission> = new Set(['case.read', 'case.update', 'case.withdraw', 'case.erase', 'material.add', 'material.read', 'alert.read', 'alert.decide', 'alert.evidence', 'notice.read', 'notice.approve']);

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function requirePermission(actor: Actor, permission: Permission): void {
  if (!can(actor.role, permission)) {
    throw new ForbiddenError(`The ${actor.role} role may not do this (${permission}).`);
  }
}

/** Whether staff-style assignment applies to this actor and permission. */
export function needsAssignment(actor: Actor, permission: Permission): boolean {
  return actor.role === 'staff' && CASE_SCOPED.has(permission);
}
