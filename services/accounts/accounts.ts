/**
 * Accounts: console users sign in with a password (argon2id), automation and platforms use API tokens;
 * the database holds only the argon2id hash of a password and the SHA-256 of a token or session secret
 * (secrets are 256-bit random, so a fast hash is enough for them). Sign-in is rate-limited.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import type { Sql } from '../../db/sql.ts';
import { sqlState } from '../../db/sql.ts';
import { countUsers, insertCredential, insertUser, selectUserByCredential, selectUserById, selectUserByName, selectUserPage, revokeCredential, type UserRow } from '../../db/queries/users.ts';
import { ROLES, requirePermission } from '../platform/access.ts';
import { storedRole } from '../platform/roles.ts';
import { appendAudit, type Actor, type Role } from '../platform/audit.ts';
import { BadRequestError, ConflictError, NotFoundError, TooManyRequestsError, UnauthorizedError } from '../platform/errors.ts';

// argon2id, OWASP's second recommended profile (19 MiB, 2 passes) - safe on a 2-core server.
const ARGON = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const SESSION_HOURS = 12;

export interface UserView {
  id: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
}

export function userView(u: UserRow): UserView {
  return { id: u.id, name: u.name, role: storedRole(u.role), disabled: u.disabled, createdAt: u.created_at.toISOString() };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

function newPassword(): string {
  // 20 characters from an unambiguous alphabet: ~115 bits, typed once and then changed or kept in a manager.
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export function validateUserName(name: string): string {
  const n = name.trim();
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
    if (sqlState(err) === '23505') throw new ConflictError(`A user named '${name}' already exists.`);
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

/**
 * Failed sign-ins per user name and per address in a sliding window. In memory, so per process: with
 * several API processes the effective limit is that many times higher.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly maxFailures = 5, private readonly windowMs = 15 * 60_000, private readonly now = () => Date.now()) {}

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  check(keys: string[]): void {
    for (const key of keys) {
      const list = this.recent(key);
      if (list.length >= this.maxFailures) {
        const retry = Math.ceil((list[0] + this.windowMs - this.now()) / 1000);
        throw new TooManyRequestsError(`Too many failed sign-ins; try again in ${retry} seconds.`, retry);
      }
    }
  }

  fail(keys: string[]): void {
    for (const key of keys) this.failures.set(key, [...this.recent(key), this.now()]);
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }
}

export async function login(sql: Sql, limiter: LoginLimiter, input: { name: string; password: string; source: string }): Promise<{ token: string; expiresAt: string; user: UserView }> {
  const keys = [`name:${input.name.toLowerCase()}`, `ip:${input.source}`];
  limiter.check(keys);
  const user = await selectUserByName(sql, input.name);
  const ok = user && !user.disabled && user.password_hash ? await argonVerify(user.password_hash, input.password).catch(() => false) : false;
  if (!user || !ok) {
    limiter.fail(keys);
    throw new UnauthorizedError('The user name or password is not right.');
  }
  limiter.succeed(keys);
  const token = newSecret('sds');
  const expiresAt = new Date(Date.now() + SESSION_HOURS * 3600_000);
  await sql.transaction(async (tx) => {
    const credentialId = await insertCredential(tx, { userId: user.id, kind: 'session', secretSha256: sha256Hex(token), expiresAt });
    await appendAudit(tx, { userId: user.id, name: user.name, role: storedRole(user.role), source: input.source }, { action: 'session.login', recordType: 'credential', recordId: credentialId });
  });
  return { token, expiresAt: expiresAt.toISOString(), user: userView(user) };
}

export async function logout(sql: Sql, actor: Actor, credentialId: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await revokeCredential(tx, credentialId);
    await appendAudit(tx, actor, { action: 'session.logout', recordType: 'credential', recordId: credentialId });
  });
}

/** The actor behind a bearer secret, or null. */
export async function authenticate(sql: Sql, secret: string, source: string): Promise<(Actor & { credentialId: string }) | null> {
  if (!/^sd[ts]_[A-Za-z0-9_-]{20,}$/.test(secret)) return null;
  const user = await selectUserByCredential(sql, sha256Hex(secret));
  if (!user) return null;
  return { userId: user.id, name: user.name, role: storedRole(user.role), source, credentialId: user.credential_id };
}

/** On a database with no users, creates 'admin' so that `npm start` can be signed in to at once. */
export async function bootstrapAdmin(sql: Sql): Promise<{ name: string; password: string } | null> {
  if ((await countUsers(sql)) > 0) return null;
  const r = await addUser(sql, { userId: null, name: 'bootstrap', role: 'admin', source: 'serve' }, { name: 'admin', role: 'admin' });
  return { name: r.user.name, password: r.password! };
}
