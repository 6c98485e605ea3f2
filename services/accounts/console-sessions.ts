/**
 * Console sessions: the same session credential `login` issues to the API, held in an HttpOnly cookie,
 * plus a row that tracks the sign-in steps still ahead (code from the app, a new password, setting up
 * two-factor) and the last activity, for the idle timeout. The absolute timeout is the session's age.
 *
 * Until its stage is 'ready' a console session opens only its next step. The API refuses console
 * credentials altogether (`isConsoleCredential`), so a cookie lifted mid-sign-in is worth nothing there.
 */
import type { Sql } from '../../db/sql.ts';
import {
  deleteConsoleSession, insertConsoleSession, selectConsoleSession, selectUserNames, setConsoleStage, setLocale, touchConsoleSession,
} from '../../db/queries/sign-in.ts';
import type { Actor } from '../platform/audit.ts';
import { appendAudit } from '../platform/audit.ts';
import type { ServiceContext } from '../platform/context.ts';
import type { Role } from '../platform/roles.ts';
import { authenticate, login, logout } from './accounts.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { secondFactorRequired, signInState } from './two-factor.ts';

export type ConsoleStage = 'second-factor' | 'new-password' | 'enrol' | 'ready';
const ORDER: readonly ConsoleStage[] = ['second-factor', 'new-password', 'enrol', 'ready'];

/** The first step after `done` this user still has to take. */
async function nextStage(ctx: ServiceContext, userId: string, role: Role, done: ConsoleStage | 'password'): Promise<ConsoleStage> {
  const state = await signInState(ctx.sql, userId);
  const needed: Record<ConsoleStage, boolean> = {
    'second-factor': state.enrolled,
    'new-password': !state.passwordChosen,
    enrol: secondFactorRequired(ctx.config, role) && !state.enrolled,
    ready: true,
  };
  const from = done === 'password' ? 0 : ORDER.indexOf(done) + 1;
  return ORDER.slice(from).find((s) => needed[s])!;
}

export interface ConsoleSignIn {
  token: string;
  stage: ConsoleStage;
  actor: Actor;
  credentialId: string;
}

/** Password step: `login` (rate-limited, audited) and the session's first stage. */
export async function startConsoleSession(ctx: ServiceContext, limiter: LoginLimiter, input: { name: string; password: string; source: string }): Promise<ConsoleSignIn> {
  const r = await login(ctx.sql, limiter, input);
  const found = (await authenticate(ctx.sql, r.token, input.source))!;
  const { credentialId, ...actor } = found;
  const stage = await nextStage(ctx, actor.userId!, actor.role, 'password');
  await insertConsoleSession(ctx.sql, credentialId, actor.userId!, stage);
  return { token: r.token, stage, actor, credentialId };
}

export type ResumedSession =
  | { kind: 'signed-in'; actor: Actor; credentialId: string; stage: ConsoleStage; locale: 'ko' | 'en' | null }
  | { kind: 'expired' }
  | { kind: 'none' };

/** The console session behind a cookie's secret, counting this request as activity. */
export async function resumeConsoleSession(ctx: ServiceContext, secret: string, source: string): Promise<ResumedSession> {
  const found = await authenticate(ctx.sql, secret, source);
  if (!found) return { kind: 'none' };
  const { credentialId, ...actor } = found;
  const stage = await touchConsoleSession(ctx.sql, credentialId, ctx.config.consoleIdleMinutes * 60, ctx.config.consoleSessionHours * 3600);
  if (!stage) {
    if (!(await selectConsoleSession(ctx.sql, credentialId))) return { kind: 'none' };
    // Ran out: revoke it, so the same cookie can never come back.
    await ctx.sql.transaction(async (tx) => {
      await deleteConsoleSession(tx, credentialId);
      await logout(tx, { ...actor, source: 'console-timeout' }, credentialId);
    });
    return { kind: 'expired' };
  }
  const state = await signInState(ctx.sql, actor.userId!);
  return { kind: 'signed-in', actor, credentialId, stage: stage as ConsoleStage, locale: state.locale };
}

/** Moves the session on after `done` succeeded; returns the new stage. */
export async function advanceConsoleSession(ctx: ServiceContext, actor: Actor, credentialId: string, done: ConsoleStage): Promise<ConsoleStage> {
  const stage = await nextStage(ctx, actor.userId!, actor.role, done);
  await setConsoleStage(ctx.sql, credentialId, stage);
  return stage;
}

export async function endConsoleSession(ctx: ServiceContext, actor: Actor, credentialId: string): Promise<void> {
  await ctx.sql.transaction(async (tx) => {
    await deleteConsoleSession(tx, credentialId);
    await logout(tx, actor, credentialId);
  });
}

/** Whether a credential belongs to a console session (the API refuses those). */
export async function isConsoleCredential(sql: Sql, credentialId: string): Promise<boolean> {
  return Boolean(await selectConsoleSession(sql, credentialId));
}

export async function chooseLocale(ctx: ServiceContext, actor: Actor, locale: 'ko' | 'en'): Promise<void> {
  await ctx.sql.transaction(async (tx) => {
    await setLocale(tx, actor.userId!, locale);
    await appendAudit(tx, actor, { action: 'user.locale', recordType: 'user', recordId: actor.userId, detail: { locale } });
  });
}

/** Display names for user ids (staff on a case): names are not victim data. */
export async function userNames(sql: Sql, ids: string[]): Promise<Map<string, string>> {
  return new Map((await selectUserNames(sql, ids)).map((u) => [u.id, u.name]));
}
