/**
 * The notice response link (STAYDOWN_PUBLIC_URL/respond/TOKEN) in the console's style: the same answer
 * page as platform accounts get, in Korean or English (`?lang=`, else the browser's Accept-Language).
 * Installed on the API's route env (RouteEnv.respondPages); delivery keeps the token check, the answer,
 * the JSON POST and the identical 404. No CSRF token: the link's token is the credential, and the page
 * sets no cookie. No scripts; styles from /static only.
 */
import type { FastifyRequest } from 'fastify';
import type { RespondPages } from '../services/http/route.ts';
import type { NoticeState } from '../services/delivery/index.ts';
import { formatters } from './format.ts';
import { DEFAULT_LOCALE, fromAcceptLanguage, isLocale, translator, type Locale } from './i18n.ts';
import { noticeTimer, timerText } from './deadline.ts';
import { renderView } from './render.ts';

export const RESPOND_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function localeOf(req: FastifyRequest): Locale {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  const b = (req.body as Record<string, unknown> | undefined)?.lang;
  if (isLocale(q)) return q;
  if (isLocale(b)) return b;
  return fromAcceptLanguage(req.headers['accept-language']) ?? DEFAULT_LOCALE;
}

function view(req: FastifyRequest, timeZone: string, name: string, data: Record<string, unknown>): string {
  const locale = localeOf(req);
  return renderView(name, { t: translator(locale), fmt: formatters(locale, timeZone), locale, ...data });
}

export function consoleRespondPages(timeZone: string): RespondPages {
  const page = (req: FastifyRequest, state: NoticeState, action: string, extra: Record<string, unknown>) => {
    const timer = noticeTimer({ status: state.status, deadline: state.deadline }, null);
    return view(req, timeZone, 'respond', { state, action, timer, timerText: timerText(timer, translator(localeOf(req))), ...extra });
  };
  return {
    csp: RESPOND_CSP,
    page: (req, state, action, error) => page(req, state, action, { error: error ?? '' }),
    answered: (req, state, action) => page(req, state, action, { answered: true, error: '' }),
    notFound: (req) => view(req, timeZone, 'respond-404', {}),
  };
}
