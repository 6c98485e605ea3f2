/**
 * Accounts: console users sign in with a password (argon2id), automation and platforms use API tokens;
 * the database holds only the argon2id hash of a password and the SHA-256 of a token or session secret
 * (secrets are 256-bit random, so a fast hash is enough for them). Sign-in is slowed down after failures
 * (login-limiter.ts); names are one name whatever their case.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import type { Sql } from '../../db/sql.ts';
import { sqlState } from '../../db/sql.ts';
import { countUsers, insertCredential, insertUser, selectUserByCredential, selectUserById, selectUserByName, selectUserPage, revokeCredential, type UserRow } from '../../db/queries/users.ts';
import { ROLES, requirePermission } from '../platform/access.ts';
import { storedRole } from '../platform/roles.ts';
import { appendAudit, type Actor, type Role } from '../platform/audit.ts';
import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError } from '../platform/errors.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { anonymousActor } from './refusals.ts';

// argon2id, OWASP's second recommended profile (19 MiB, 2 passes) - safe on a 2-core server.
export const ARGON = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const SESSION_HOURS = 12;

export interface UserView {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: string;
}

export function userView(u: UserRow): UserView {
  return { id: u.id, name: u.name, role: storedRole(u.role), disabled: u.disabled, mustChangePassword: u.must_change_password, createdAt: u.created_at.toISOString() };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function newPassword(): string {
  // 20 characters from an unambiguous alphabet: ~115 bits, typed once and then changed or kept in a manager.
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * The audit log's own actors: an account with one of these names would be indistinguishable from the
 * service itself in the log. `cli:*` (the command line's actors) is reserved too.
 */
export const RESERVED_NAMES: readonly string[] = ['crawler', 'system', 'scheduler', 'bootstrap', 'anonymous', 'serve'];

export function validateUserName(name: string): string {
  const n = name.trim();
  if (/^cli:/i.test(n) || RESERVED_NAMES.includes(n.toLowerCase())) {
    throw new BadRequestError(`The name '${n}' is reserved for staydown's own entries in the audit log (${RESERVED_NAMES.join(', ')}, cli:*); choose another.`);
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._@-]{1,63}$/.test(n)) {
    throw new BadRequestError('A user name must be 2-64 characters of letters, digits, dot, dash, underscore or @, starting with a letter or digit.');
  }
  return n;
}

export interface NewUser {
  user: UserView;
  /** Shown once; only its hash is stored. */
  password?: string;
  token?: string;
}

/** Creates an account. Platforms get an API token; other roles a one-time password, or a token if asked. */
export async function addUser(sql: Sql, actor: Actor, input: { name: string; role: Role; credential?: 'password' | 'token' }): Promise<NewUser> {
  requirePermission(actor, 'user.manage');
  const name = validateUserName(input.name);
  if (!(ROLES as readonly string[]).includes(input.role)) throw new BadRequestError(`Unknown role '${input.role}': use one of ${ROLES.join(', ')}.`);
  const kind = input.credential ?? (input.role === 'platform' ? 'token' : 'password');
  const password = kind === 'password' ? newPassword() : undefined;
  const passwordHash = password ? await argonHash(password, ARGON) : null;
  try {
    return await sql.transaction(async (tx) => {
      const user = await insertUser(tx, { name, role: input.role, passwordHash });
      let token: string | undefined;
      if (kind === 'token') {
        token = newSecret('sdt');
        await insertCredential(tx, { userId: user.id, kind: 'token', secretSha256: sha256Hex(token), expiresAt: null });
      }
      await appendAudit(tx, actor, { action: 'user.add', recordType: 'user', recordId: user.id, detail: { role: user.role, credential: kind } });
      return { user: userView(user), ...(password ? { password } : {}), ...(token ? { token } : {}) };
    });
  } catch (err) {
    if (sqlState(err) === '23505') throw new ConflictError(`A user named '${name}' already exists (names are the same whatever their case).`);
    throw err;
  }
}

export async function issueToken(sql: Sql, actor: Actor, userId: string): Promise<{ token: string }> {
  requirePermission(actor, 'user.manage');
  return sql.transaction(async (tx) => {
    const user = await selectUserById(tx, userId);
    if (!user) throw new NotFoundError(`There is no user ${userId}.`);
    const token = newSecret('sdt');
    const credentialId = await insertCredential(tx, { userId: user.id, kind: 'token', secretSha256: sha256Hex(token), expiresAt: null });
    await appendAudit(tx, actor, { action: 'token.issue', recordType: 'credential', recordId: credentialId, detail: { userId: user.id } });
    return { token };
  });
}

export async function listUsers(sql: Sql, actor: Actor, opts: { after?: string; limit?: number }): Promise<{ items: UserView[]; next: string | null }> {
  requirePermission(actor, 'user.manage');
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const rows = await selectUserPage(sql, opts.after ?? '', limit + 1);
  const page = rows.slice(0, limit);
  return { items: page.map(userView), next: rows.length > limit ? page[page.length - 1].name : null };
}

/** A dummy hash to verify against when there is no password to check, so timing does not tell names apart. */
let dummyHash: Promise<string> | null = null;

export function actorOf(user: UserRow, source: string): Actor {
  return { userId: user.id, name: user.name, role: storedRole(user.role), source };
}

export interface SignedIn {
  token: string;
  expiresAt: string;
  user: UserView;
  /** The password was reset by an administrator: only changing it (POST /api/v1/me/password) is allowed. */
  mustChangePassword: boolean;
}

/**
 * Signs in with a name (any case) and password. Failures are slowed down per (name, address) and per
 * address (login-limiter.ts) and audited by user id - the typed password never, an unknown typed name
 * never (it is recorded as 'anonymous').
 */
export async function login(sql: Sql, limiter: LoginLimiter, input: { name: string; password: string; source: string }): Promise<SignedIn> {
  limiter.check(input.name, input.source);
  const user = await selectUserByName(sql, input.name.trim());
  let reason: string | null = null;
  if (!user) reason = 'unknown-name';
  else if (user.disabled) reason = 'disabled';
  else if (!user.password_hash) reason = 'no-password';
  const hash = reason ? await (dummyHash ??= argonHash('staydown-dummy-password', ARGON)) : user!.password_hash!;
  const ok = await argonVerify(hash, input.password).catch(() => false);
  if (!reason && !ok) reason = 'wrong-password';
  if (reason || !user) {
    limiter.fail(input.name, input.source);
    await sql.transaction((tx) => appendAudit(tx, user ? actorOf(user, input.source) : anonymousActor(input.source), {
      action: 'session.login.failed', recordType: 'user', recordId: user?.id ?? null, detail: { reason },
    }));
    throw new UnauthorizedError('The user name or password is not right.');
  }
  limiter.succeed(input.name, input.source);
  const token = newSecret('sds');
  const expiresAt = new Date(Date.now() + SESSION_HOURS * 3600_000);
  await sql.transaction(async (tx) => {
    const credentialId = await insertCredential(tx, { userId: user.id, kind: 'session', secretSha256: sha256Hex(token), expiresAt });
    await appendAudit(tx, actorOf(user, input.source), { action: 'session.login', recordType: 'credential', recordId: credentialId });
  });
  return { token, expiresAt: expiresAt.toISOString(), user: userView(user), mustChangePassword: user.must_change_password };
}

export async function logout(sql: Sql, actor: Actor, credentialId: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await revokeCredential(tx, credentialId);
    await appendAudit(tx, actor, { action: 'session.logout', recordType: 'credential', recordId: credentialId });
  });
}

/** The actor behind a bearer secret, or null. */
export async function authenticate(sql: Sql, secret: string, source: string): Promise<(Actor & { credentialId: string; mustChangePassword: boolean }) | null> {
  if (!/^sd[ts]_[A-Za-z0-9_-]{20,}$/.test(secret)) return null;
  const user = await selectUserByCredential(sql, sha256Hex(secret));
  if (!user) return null;
  return { ...actorOf(user, source), credentialId: user.credential_id, mustChangePassword: user.must_change_password };
}

/** On a database with no users, creates 'admin' so that `npm start` can be signed in to at once. */
export async function bootstrapAdmin(sql: Sql): Promise<{ name: string; password: string } | null> {
  if ((await countUsers(sql)) > 0) return null;
  const r = await addUser(sql, { userId: null, name: 'bootstrap', role: 'admin', source: 'serve' }, { name: 'admin', role: 'admin' });
  return { name: r.user.name, password: r.password! };
}
