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
  | 'platform.manage' | 'platform.read'
  | 'notice.read' | 'notice.approve'
  | 'notice.respond';

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: ['case.create', 'case.read', 'case.update', 'case.codes', 'case.assign', 'case.withdraw', 'case.erase', 'material.add', 'material.read', 'user.manage', 'audit.read', 'platform.manage', 'platform.read', 'notice.read', 'notice.approve'],
  staff: ['case.create', 'case.read', 'case.update', 'case.codes', 'case.withdraw', 'case.erase', 'material.add', 'material.read', 'platform.manage', 'platform.read', 'notice.read', 'notice.approve'],
  operator: ['case.codes', 'platform.read', 'notice.read'],
  // Platforms see and answer their own notices only (services/delivery/responses.ts).
  platform: ['notice.respond'],
  auditor: ['audit.read'],
};

/** Permissions that reach into one case: staff additionally need to be assigned to it. */
const CASE_SCOPED: ReadonlySet<Permission> = new Set(['case.read', 'case.update', 'case.withdraw', 'case.erase', 'material.add', 'material.read', 'notice.read', 'notice.approve']);

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
