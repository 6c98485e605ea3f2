/**
 * Accounts an administrator can manage (issue 14, item 4): disable and enable a user, revoke their
 * credentials, reset their password; and everyone can change their own password.
 *
 * - Disabling takes effect at once: every session and API token of the user is revoked in the same
 *   transaction (and a disabled user's credentials are refused anyway, db/queries/users.ts). Enabling
 *   lets the user sign in with their password again; revoked tokens stay revoked - issue new ones.
 * - A reset password is a one-time password: the user's sessions end, and the next sign-in may only
 *   change it (the API answers 403 to anything else until then).
 * - An administrator cannot disable themselves, nor the last enabled administrator.
 * - A reset also clears the console's "password chosen" mark (markPasswordIssued), so the console's
 *   sign-in, too, opens only the new-password step - whether the reset came from the CLI, the API or the
 *   console.
 * - Changing a role ends the user's sessions, so their next sign-in takes the steps the new role needs
 *   (two-factor set-up for admin and staff). Platform accounts answer for a platform record: no role
 *   change into or out of 'platform'.
 */
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import type { Sql } from '../../db/sql.ts';
import { countEnabledAdmins, revokeUserCredentials, selectUserById, selectUserByName, setUserDisabled, setUserPassword, setUserRole, type UserRow } from '../../db/queries/users.ts';
import { setPasswordChosen } from '../../db/queries/sign-in.ts';
import type { Role } from '../platform/roles.ts';
import { requirePermission } from '../platform/access.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../platform/errors.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { ARGON, newPassword, userView, type UserView } from './accounts.ts';

/** Chosen passwords: long enough that the sign-in slow-down makes guessing hopeless. */
export const MIN_PASSWORD_LENGTH = 12;

/** A user by id (the API) or by name (the command line), or a sentence saying there is none. */
export async function findUser(sql: Sql, ref: { id?: string; name?: string }): Promise<UserRow> {
  const user = ref.id ? await selectUserById(sql, ref.id) : ref.name ? await selectUserByName(sql, ref.name) : undefined;
  if (!user) throw new NotFoundError(ref.id ? `There is no user ${ref.id}.` : `There is no user named '${ref.name}'; 'staydown user list' shows the users.`);
  return user;
}

export async function disableUser(sql: Sql, actor: Actor, ref: { id?: string; name?: string }): Promise<UserView & { revoked: { tokens: number; sessions: number } }> {
  requirePermission(actor, 'user.manage');
  return sql.transaction(async (tx) => {
    const user = await findUser(tx, ref);
    if (user.id === actor.userId) throw new ConflictError('You cannot disable your own account; ask another administrator.');
    if (user.role === 'admin' && !user.disabled && (await countEnabledAdmins(tx)) <= 1) {
      throw new ConflictError(`'${user.name}' is the last enabled administrator; enable or create another one first.`);
    }
    await setUserDisabled(tx, user.id, true);
    const revoked = await revokeUserCredentials(tx, user.id, ['token', 'session']);
    await appendAudit(tx, actor, { action: 'user.disable', recordType: 'user', recordId: user.id, detail: revoked });
    return { ...userView({ ...user, disabled: true }), revoked };
  });
}

export async function enableUser(sql: Sql, actor: Actor, ref: { id?: string; name?: string }): Promise<UserView> {
  requirePermission(actor, 'user.manage');
  return sql.transaction(async (tx) => {
    const user = await findUser(tx, ref);
    await setUserDisabled(tx, user.id, false);
    await appendAudit(tx, actor, { action: 'user.enable', recordType: 'user', recordId: user.id });
    return userView({ ...user, disabled: false });
  });
}

export async function revokeTokens(sql: Sql, actor: Actor, ref: { id?: string; name?: string }): Promise<UserView & { revoked: { tokens: number; sessions: number } }> {
  requirePermission(actor, 'user.manage');
  return sql.transaction(async (tx) => {
    const user = await findUser(tx, ref);
    const revoked = await revokeUserCredentials(tx, user.id, ['token', 'session']);
    await appendAudit(tx, actor, { action: 'user.revoke-tokens', recordType: 'user', recordId: user.id, detail: revoked });
    return { ...userView(user), revoked };
  });
}

/** A new one-time password for the user, who must change it at the next sign-in; their sessions end. */
export async function resetPassword(sql: Sql, actor: Actor, ref: { id?: string; name?: string }): Promise<{ user: UserView; password: string }> {
  requirePermission(actor, 'user.manage');
  const password = newPassword();
  const hash = await argonHash(password, ARGON);
  return sql.transaction(async (tx) => {
    const user = await findUser(tx, ref);
    if (user.role === 'platform') throw new BadRequestError(`'${user.name}' is a platform account, which signs in with API tokens only; issue a new token instead.`);
    await setUserPassword(tx, user.id, hash, true);
    // What markPasswordIssued does, inside this transaction: the console asks for a new password too.
    await setPasswordChosen(tx, user.id, null);
    const revoked = await revokeUserCredentials(tx, user.id, ['session']);
    await appendAudit(tx, actor, { action: 'user.reset-password', recordType: 'user', recordId: user.id, detail: { sessionsRevoked: revoked.sessions } });
    return { user: userView({ ...user, must_change_password: true }), password };
  });
}

/** Gives the user another role; their sessions end (tokens keep working, with the new role's permissions). */
export async function changeRole(sql: Sql, actor: Actor, ref: { id?: string; name?: string }, role: Role): Promise<UserView & { revoked: { tokens: number; sessions: number } }> {
  requirePermission(actor, 'user.manage');
  return sql.transaction(async (tx) => {
    const user = await findUser(tx, ref);
    if (user.id === actor.userId) throw new ConflictError('You cannot change your own role; ask another administrator.');
    if (user.role === role) return { ...userView(user), revoked: { tokens: 0, sessions: 0 } };
    if (user.role === 'platform' || role === 'platform') {
      throw new BadRequestError(`'${user.name}' cannot become ${role === 'platform' ? 'a platform account' : `a ${role} account`}: platform accounts answer for a platform record and sign in with API tokens only; create a new account with the role needed instead.`);
    }
    if (user.role === 'admin' && !user.disabled && (await countEnabledAdmins(tx)) <= 1) {
      throw new ConflictError(`'${user.name}' is the last enabled administrator; make another administrator first.`);
    }
    await setUserRole(tx, user.id, role);
    const revoked = await revokeUserCredentials(tx, user.id, ['session']);
    await appendAudit(tx, actor, { action: 'user.role-change', recordType: 'user', recordId: user.id, detail: { from: user.role, to: role, sessionsRevoked: revoked.sessions } });
    return { ...userView({ ...user, role }), revoked };
  });
}

/** Changes the caller's own password (the current one is asked again); their other sessions end. */
export async function changeOwnPassword(sql: Sql, limiter: LoginLimiter, actor: Actor, credentialId: string | null, input: { currentPassword: string; newPassword: string }): Promise<{ ok: true; sessionsRevoked: number }> {
  // A stolen session must not be a way to guess the password either: the same slow-down as sign-in.
  limiter.check(actor.name, actor.source);
  if (!actor.userId) throw new BadRequestError('Only a signed-in user has a password to change.');
  if (input.newPassword.length < MIN_PASSWORD_LENGTH) throw new BadRequestError(`A new password must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  if (input.newPassword === input.currentPassword) throw new BadRequestError('The new password must differ from the current one.');
  const user = await findUser(sql, { id: actor.userId });
  const ok = user.password_hash ? await argonVerify(user.password_hash, input.currentPassword).catch(() => false) : false;
  if (!ok) {
    limiter.fail(actor.name, actor.source);
    await sql.transaction((tx) => appendAudit(tx, actor, { action: 'user.password.change-refused', recordType: 'user', recordId: user.id }));
    throw new ForbiddenError('The current password is not right; the password was not changed.');
  }
  const hash = await argonHash(input.newPassword, ARGON);
  return sql.transaction(async (tx) => {
    await setUserPassword(tx, user.id, hash, false);
    // A password changed over the API is chosen: the console's sign-in does not ask for another.
    await setPasswordChosen(tx, user.id, new Date());
    const revoked = await revokeUserCredentials(tx, user.id, ['session'], credentialId);
    await appendAudit(tx, actor, { action: 'user.password.change', recordType: 'user', recordId: user.id, detail: { sessionsRevoked: revoked.sessions } });
    return { ok: true as const, sessionsRevoked: revoked.sessions };
  });
}
