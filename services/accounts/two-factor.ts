/**
 * Two-factor sign-in and first-sign-in passwords.
 *
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s - what every authenticator app reads from an otpauth:// URI),
 * one step of clock drift either way, and each time step accepted once so a code seen over a shoulder
 * cannot be replayed. The secret is stored AES-256-GCM-encrypted under a key derived from the master key.
 * Ten recovery codes of 80 random bits each, stored as SHA-256 (their entropy makes a slow hash pointless),
 * each usable once.
 *
 * A password an administrator (or `staydown serve`'s bootstrap) issued opens only the step that replaces
 * it: `password_chosen_at` is NULL until the user chose their own. Whoever resets a password later must
 * call `markPasswordIssued` so the next sign-in asks for a new one again.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { Secret, TOTP } from 'otpauth';
import type { Sql } from '../../db/sql.ts';
import { clearMustChangePassword, selectUserById } from '../../db/queries/users.ts';
import {
  countUnusedRecoveryCodes, lockSignIn, replaceRecoveryCodes, selectSignIn, setPasswordChosen, updatePasswordHash, updateTotp, useRecoveryCode,
} from '../../db/queries/sign-in.ts';
import { appendAudit, type Actor } from '../platform/audit.ts';
import type { Config } from '../platform/config.ts';
import type { ServiceContext } from '../platform/context.ts';
import { decrypt, encrypt } from '../platform/crypto.ts';
import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError } from '../platform/errors.ts';
import { authenticate, logout } from './accounts.ts';
import type { LoginLimiter } from './login-limiter.ts';
import type { Role } from '../platform/roles.ts';

// The same argon2id profile accounts.ts uses for passwords (OWASP's second: 19 MiB, 2 passes).
const ARGON = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const PERIOD = 30;
const RECOVERY_CODES = 10;
// Crockford-style base32 without I, L, O, U: nothing to confuse when read off paper.
const CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const MIN_PASSWORD_LENGTH = 12;

export function secondFactorRequired(config: Config, role: Role): boolean {
  return config.require2fa.includes(role);
}

function totpKey(masterKey: Buffer): Buffer {
  return createHmac('sha256', masterKey).update('staydown totp secret key v1').digest();
}

function totpFor(secretBase32: string, label: string): TOTP {
  return new TOTP({ issuer: 'staydown', label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secretBase32) });
}

function readSecret(ctx: ServiceContext, userId: string, blob: Buffer): string {
  return decrypt(totpKey(ctx.masterKey), blob, `user:${userId}:totp`).toString('utf8');
}

export interface SignInState {
  enrolled: boolean;
  passwordChosen: boolean;
  locale: 'ko' | 'en' | null;
}

export async function signInState(sql: Sql, userId: string): Promise<SignInState> {
  const row = await selectSignIn(sql, userId);
  return {
    enrolled: Boolean(row?.totp_confirmed_at),
    passwordChosen: Boolean(row?.password_chosen_at),
    locale: row?.locale === 'ko' || row?.locale === 'en' ? row.locale : null,
  };
}

export interface Enrolment {
  /** Base32, for typing into an authenticator app by hand. */
  secret: string;
  /** otpauth://totp/... for apps that take a link or a QR code. */
  uri: string;
}

/**
 * The secret being set up for `actor`: made on first call, the same one on reloads until a code confirms
 * it. Refused once set up (replacing a working second factor is an administrator's reset, not this).
 */
export async function startEnrolment(ctx: ServiceContext, actor: Actor): Promise<Enrolment> {
  const userId = actor.userId!;
  return ctx.sql.transaction(async (tx) => {
    const row = await lockSignIn(tx, userId);
    if (row.totp_confirmed_at) throw new ConflictError('Two-factor sign-in is already set up for this account.');
    let secret: string;
    if (row.totp_secret) secret = readSecret(ctx, userId, row.totp_secret);
    else {
      secret = new Secret({ size: 20 }).base32;
      await updateTotp(tx, userId, { secret: encrypt(totpKey(ctx.masterKey), Buffer.from(secret, 'utf8'), `user:${userId}:totp`) });
    }
    return { secret, uri: totpFor(secret, actor.name).toString() };
  });
}

/** The 30-second step a code belongs to (within one step of now), or null. */
function matchStep(totp: TOTP, code: string, now: number): number | null {
  const delta = totp.validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD) + delta;
}

function normalizeCode(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES }, () => {
    const bytes = randomBytes(16);
    const chars = Array.from(bytes, (b) => CODE_ALPHABET[b % 32]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}-${chars.slice(12, 16)}`;
  });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Confirms the set-up with a code from the app; returns the recovery codes, shown only now. */
export async function confirmEnrolment(ctx: ServiceContext, actor: Actor, code: string, now = Date.now()): Promise<{ recoveryCodes: string[] } | null> {
  const userId = actor.userId!;
  return ctx.sql.transaction(async (tx) => {
    const row = await lockSignIn(tx, userId);
    if (row.totp_confirmed_at) throw new ConflictError('Two-factor sign-in is already set up for this account.');
    if (!row.totp_secret) throw new BadRequestError('Open the set-up page first: it shows the secret to add to your app.');
    const step = matchStep(totpFor(readSecret(ctx, userId, row.totp_secret), actor.name), normalizeCode(code), now);
    if (step === null) return null;
    const codes = newRecoveryCodes();
    await updateTotp(tx, userId, { confirmedAt: new Date(now), lastStep: step });
    await replaceRecoveryCodes(tx, userId, codes.map((c) => sha256(normalizeCode(c))));
    await appendAudit(tx, actor, { action: 'two-factor.enrol', recordType: 'user', recordId: userId, detail: { recoveryCodes: codes.length } });
    return { recoveryCodes: codes };
  });
}

/**
 * Checks a code from the app or a recovery code. Audited either way (the method and the outcome, never
 * the code). The caller rate-limits attempts.
 */
export async function verifySecondFactor(ctx: ServiceContext, actor: Actor, code: string, now = Date.now()): Promise<'totp' | 'recovery' | null> {
  const userId = actor.userId!;
  const given = normalizeCode(code);
  return ctx.sql.transaction(async (tx) => {
    const row = await lockSignIn(tx, userId);
    if (!row.totp_confirmed_at || !row.totp_secret) throw new ConflictError('Two-factor sign-in is not set up for this account.');
    let method: 'totp' | 'recovery' | null = null;
    if (/^\d{6}$/.test(given)) {
      const step = matchStep(totpFor(readSecret(ctx, userId, row.totp_secret), actor.name), given, now);
      if (step !== null && step > (row.totp_last_step ?? -1)) {
        await updateTotp(tx, userId, { lastStep: step });
        method = 'totp';
      }
    } else if (given.length === 16 && (await useRecoveryCode(tx, userId, sha256(given)))) {
      method = 'recovery';
    }
    const detail: Record<string, unknown> = { ok: method !== null, ...(method ? { method } : {}) };
    if (method === 'recovery') detail.recoveryCodesLeft = await countUnusedRecoveryCodes(tx, userId);
    await appendAudit(tx, actor, { action: 'two-factor.verify', recordType: 'user', recordId: userId, detail });
    return method;
  });
}

/**
 * Replaces the user's password. `current` is checked when given; the console's first-sign-in step leaves
 * it out because that session was opened with the issued password moments ago.
 */
export async function chooseOwnPassword(ctx: ServiceContext, actor: Actor, input: { current?: string; next: string }): Promise<void> {
  const userId = actor.userId!;
  if (input.next.length < MIN_PASSWORD_LENGTH) {
    throw new BadRequestError(`A new password must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  }
  if (input.next.length > 200) throw new BadRequestError('A new password may be at most 200 characters long.');
  const user = await selectUserById(ctx.sql, userId);
  if (!user?.password_hash) throw new NotFoundError('This account has no password to change.');
  if (input.current !== undefined && !(await argonVerify(user.password_hash, input.current).catch(() => false))) {
    throw new BadRequestError('The current password is not right.');
  }
  if (await argonVerify(user.password_hash, input.next).catch(() => false)) {
    throw new BadRequestError('The new password must differ from the one you have now.');
  }
  const hash = await argonHash(input.next, ARGON);
  await ctx.sql.transaction(async (tx) => {
    await updatePasswordHash(tx, userId, hash);
    // The API's "must change password" mark of a reset is answered by this choice as well.
    await clearMustChangePassword(tx, userId);
    await setPasswordChosen(tx, userId, new Date());
    await appendAudit(tx, actor, { action: 'password.change', recordType: 'user', recordId: userId });
  });
}

/** For a password reset: the next sign-in with the issued password must replace it. */
export async function markPasswordIssued(sql: Sql, userId: string): Promise<void> {
  await setPasswordChosen(sql, userId, null);
}

/**
 * The API's password sign-in for an account with two-factor set up: the session `login` just issued
 * stands only with a right `code`; otherwise it is revoked at once. Attempts count per user.
 */
export async function requireApiSecondFactor(
  ctx: ServiceContext,
  limiter: LoginLimiter,
  session: { token: string; user: { id: string } },
  code: string | undefined,
  source: string,
): Promise<void> {
  if (!(await signInState(ctx.sql, session.user.id)).enrolled) return;
  const found = (await authenticate(ctx.sql, session.token, source))!;
  const { credentialId, ...actor } = found;
  // Counted like sign-in: per (account's second factor, address) and per address, slowing down, never locking.
  const key = `second-factor:${session.user.id}`;
  try {
    limiter.check(key, source);
    if (!code) throw new UnauthorizedError('This account signs in with a code from its authenticator app as well: send it as "code".');
    if (!(await verifySecondFactor(ctx, actor, code))) {
      limiter.fail(key, source);
      throw new UnauthorizedError('The code from the authenticator app is not right, or was used already; wait for the next one.');
    }
    limiter.succeed(key, source);
  } catch (err) {
    await logout(ctx.sql, actor, credentialId);
    throw err;
  }
}
