/**
 * Signing in: password, then (as the account needs) the code from the authenticator app, a password of
 * one's own in place of the issued one, and setting up the app with recovery codes. Also signing out and
 * choosing the language.
 */
import {
  advanceConsoleSession, chooseLocale as saveLocale, chooseOwnPassword, confirmEnrolment, endConsoleSession, MIN_PASSWORD_LENGTH,
  startConsoleSession, startEnrolment, verifySecondFactor,
} from '../../services/accounts/index.ts';
import { BadRequestError, TooManyRequestsError, UnauthorizedError } from '../../services/platform/errors.ts';
import { isLocale, LANG_COOKIE } from '../i18n.ts';
import { field, SESSION_COOKIE, stagePath, type PageDef, type PageInput } from '../page.ts';
import { qrDataUrl } from '../qr.ts';

const SIGN_IN_LIMIT = { max: 30, timeWindow: '1 minute' };

function cookieOptions(input: PageInput) {
  const https = input.env.ctx.config.publicUrl?.startsWith('https:') ?? false;
  return { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: https ? true : ('auto' as const) };
}

/** Renders a form again with a message (and the status that says what went wrong). */
async function again(input: PageInput, status: number, view: string, data: Record<string, unknown>): Promise<string> {
  input.reply.status(status);
  return input.render(view, data);
}

/** Groups a base32 secret in fours, as authenticator apps show and accept it. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

export const signInPages: PageDef[] = [
  {
    method: 'GET', url: '/sign-in', access: 'public',
    handler: async (input) => {
      if (input.session) return input.reply.redirect(stagePath(input.session.stage), 303);
      return input.render('sign-in', { expired: input.query.expired === '1', signedOut: input.query.signedOut === '1', name: '' });
    },
  },
  {
    method: 'POST', url: '/sign-in', access: 'public', rateLimit: SIGN_IN_LIMIT,
    handler: async (input) => {
      const name = field(input.body, 'name').trim();
      const password = field(input.body, 'password');
      if (!name || !password) return again(input, 400, 'sign-in', { name, error: input.t('signIn.missing') });
      try {
        const s = await startConsoleSession(input.env.ctx, input.env.limiter, { name, password, source: input.req.ip });
        input.reply.setCookie(SESSION_COOKIE, s.token, cookieOptions(input));
        return input.reply.redirect(stagePath(s.stage), 303);
      } catch (err) {
        if (err instanceof UnauthorizedError) return again(input, 401, 'sign-in', { name, error: input.t('signIn.wrong') });
        if (err instanceof TooManyRequestsError) {
          input.reply.header('retry-after', String(err.retryAfterSeconds));
          return again(input, 429, 'sign-in', { name, error: input.t('signIn.tooMany', { minutes: Math.ceil(err.retryAfterSeconds / 60) }) });
        }
        throw err;
      }
    },
  },
  {
    method: 'GET', url: '/sign-in/code', access: 'step', step: 'second-factor',
    handler: async (input) => input.render('sign-in-code', {}),
  },
  {
    method: 'POST', url: '/sign-in/code', access: 'step', step: 'second-factor', rateLimit: SIGN_IN_LIMIT,
    handler: async (input) => {
      const { actor, credentialId } = input.session!;
      const key = `second-factor:${actor.userId}`;
      try {
        input.env.limiter.check(key, input.req.ip);
      } catch (err) {
        if (err instanceof TooManyRequestsError) return again(input, 429, 'sign-in-code', { error: input.t('signIn.tooMany', { minutes: Math.ceil(err.retryAfterSeconds / 60) }) });
        throw err;
      }
      const method = await verifySecondFactor(input.env.ctx, actor, field(input.body, 'code'));
      if (!method) {
        input.env.limiter.fail(key, input.req.ip);
        return again(input, 401, 'sign-in-code', { error: input.t('code.wrong') });
      }
      input.env.limiter.succeed(key, input.req.ip);
      const stage = await advanceConsoleSession(input.env.ctx, actor, credentialId, 'second-factor');
      return input.reply.redirect(stagePath(stage), 303);
    },
  },
  {
    method: 'GET', url: '/sign-in/new-password', access: 'step', step: 'new-password',
    handler: async (input) => input.render('sign-in-new-password', { min: MIN_PASSWORD_LENGTH }),
  },
  {
    method: 'POST', url: '/sign-in/new-password', access: 'step', step: 'new-password',
    handler: async (input) => {
      const { actor, credentialId } = input.session!;
      const next = field(input.body, 'password');
      const repeat = field(input.body, 'repeat');
      const fail = (key: string) => again(input, 400, 'sign-in-new-password', { min: MIN_PASSWORD_LENGTH, error: input.t(key, { min: MIN_PASSWORD_LENGTH }) });
      if (next.length < MIN_PASSWORD_LENGTH) return fail('newPassword.short');
      if (next !== repeat) return fail('newPassword.mismatch');
      try {
        await chooseOwnPassword(input.env.ctx, actor, { next });
      } catch (err) {
        if (err instanceof BadRequestError) return fail(/differ/.test(err.message) ? 'newPassword.same' : 'newPassword.invalid');
        throw err;
      }
      const stage = await advanceConsoleSession(input.env.ctx, actor, credentialId, 'new-password');
      return input.reply.redirect(stagePath(stage), 303);
    },
  },
  {
    method: 'GET', url: '/sign-in/set-up', access: 'step', step: 'enrol',
    handler: async (input) => {
      const e = await startEnrolment(input.env.ctx, input.session!.actor);
      return input.render('sign-in-set-up', { secret: grouped(e.secret), uri: e.uri, qr: qrDataUrl(e.uri) });
    },
  },
  {
    method: 'POST', url: '/sign-in/set-up', access: 'step', step: 'enrol', rateLimit: SIGN_IN_LIMIT,
    handler: async (input) => {
      const { actor, credentialId } = input.session!;
      const done = await confirmEnrolment(input.env.ctx, actor, field(input.body, 'code'));
      if (!done) {
        const e = await startEnrolment(input.env.ctx, actor);
        return again(input, 400, 'sign-in-set-up', { secret: grouped(e.secret), uri: e.uri, qr: qrDataUrl(e.uri), error: input.t('code.wrong') });
      }
      const stage = await advanceConsoleSession(input.env.ctx, actor, credentialId, 'enrol');
      return input.render('sign-in-recovery-codes', { codes: done.recoveryCodes, next: stagePath(stage) });
    },
  },
  {
    method: 'POST', url: '/sign-out', access: 'public',
    handler: async (input) => {
      if (input.session) await endConsoleSession(input.env.ctx, input.session.actor, input.session.credentialId);
      input.reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return input.reply.redirect('/sign-in?signedOut=1', 303);
    },
  },
  {
    method: 'POST', url: '/language', access: 'public',
    handler: async (input) => {
      const locale = field(input.body, 'locale');
      if (!isLocale(locale)) throw new BadRequestError('Choose the language ko or en.');
      if (input.session) await saveLocale(input.env.ctx, input.session.actor, locale);
      input.reply.setCookie(LANG_COOKIE, locale, { ...cookieOptions(input), maxAge: 365 * 86_400 });
      return input.reply.redirect(safeBack(field(input.body, 'back')), 303);
    },
  },
];

/** Only a path on this site: never `//elsewhere` or a full address. */
function safeBack(back: string): string {
  return /^\/(?![/\\])[^\s]*$/.test(back) ? back : '/';
}

