/**
 * Message catalogues: one JSON file per language in console/messages/, flat dotted keys, `{name}`
 * placeholders. Every string a person reads on a console page comes from here. Korean is the default:
 * staydown's first users are Korean support centres.
 */
import { readFileSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';

export const LOCALES = ['ko', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'ko';

export type Catalogue = Record<string, string>;

function load(locale: Locale): Catalogue {
  return JSON.parse(readFileSync(new URL(`./messages/${locale}.json`, import.meta.url), 'utf8')) as Catalogue;
}

export const CATALOGUES: Record<Locale, Catalogue> = { ko: load('ko'), en: load('en') };

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translate {
  const cat = CATALOGUES[locale];
  return (key, vars) => {
    const text = cat[key] ?? CATALOGUES.en[key];
    // A missing key is a bug the catalogue test catches; on a live page the key itself is the least-bad text.
    if (text === undefined) return key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
  };
}

export function isLocale(value: unknown): value is Locale {
  return value === 'ko' || value === 'en';
}

/** The best of our languages for an Accept-Language header (q-values honoured), or null. */
export function fromAcceptLanguage(header: string | undefined): Locale | null {
  if (!header) return null;
  const ranked = header.split(',').map((part, i) => {
    const [tag, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
    return { lang: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q[1]) : 1, i };
  }).filter((r) => r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  return (ranked.find((r) => isLocale(r.lang))?.lang as Locale | undefined) ?? null;
}

export const LANG_COOKIE = 'sd_lang';

/** A signed-in user's choice, else the language cookie set before sign-in, else the browser's. */
export function chooseLocale(req: FastifyRequest, stored: Locale | null): Locale {
  if (stored) return stored;
  const cookie = req.cookies?.[LANG_COOKIE];
  if (isLocale(cookie)) return cookie;
  return fromAcceptLanguage(req.headers['accept-language']) ?? DEFAULT_LOCALE;
}
