/**
 * The console's templates and catalogues, without a browser: both languages hold the same messages,
 * every message a view or route asks for exists, and no view can print unescaped values or inline code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUES, fromAcceptLanguage } from '../../console/i18n.ts';
import { NAV } from '../../console/nav.ts';
import { configRows } from '../../console/routes/configuration.ts';
import { parseInputDate } from '../../console/format.ts';
import { PAGES } from '../../console/plugin.ts';
import { ROLES } from '../../services/platform/roles.ts';
import { loadConfig } from '../../services/platform/config.ts';

const VIEWS = join(process.cwd(), 'console', 'views');
const ROUTES = join(process.cwd(), 'console', 'routes');
const views = readdirSync(VIEWS).map((f) => ({ f, text: readFileSync(join(VIEWS, f), 'utf8') }));
const sources = [...views, ...readdirSync(ROUTES).map((f) => ({ f, text: readFileSync(join(ROUTES, f), 'utf8') }))];

describe('console catalogues', () => {
  it('Korean and English hold exactly the same keys, none empty', () => {
    expect(Object.keys(CATALOGUES.ko).sort()).toEqual(Object.keys(CATALOGUES.en).sort());
    for (const [k, v] of [...Object.entries(CATALOGUES.ko), ...Object.entries(CATALOGUES.en)]) expect(v.trim(), k).not.toBe('');
  });

  it('every literal key a view or route asks for exists', () => {
    const missing: string[] = [];
    for (const { f, text } of sources) {
      for (const m of text.matchAll(/\bt\('([a-zA-Z0-9.]+)'\s*[,)]/g)) if (!(m[1] in CATALOGUES.en)) missing.push(`${f}: ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('the configuration page shows delivery and monitoring settings, never a password', () => {
    const rows = configRows(loadConfig({}, { STAYDOWN_SMTP_URL: 'smtp://desk:s3cret-pass@mail.centre.example:587', STAYDOWN_NOTICE_FROM: 'Desk <desk@centre.example>', STAYDOWN_RECHECKS: '90s,1d,7d' }));
    const shown = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    expect(JSON.stringify(rows)).not.toContain('s3cret');
    expect(shown.smtp).toBe('smtp://mail.centre.example:587');
    expect(shown.checkEvery).toBe('6h');
    expect(shown.escalateAfter).toBe('3d');
    expect(shown.rechecks).toBe('90s, 1d, 1w');
    expect(shown.reviewRevealLimit).toBe('50');
  });

  it('every audit action the code records has a plain-language name in the audit log page', () => {
    // An auditor reads "Revealed a picture in review", not `alert.reveal`: every dotted action string
    // given to appendAudit in the services, the crawler and the console needs an `audit.act.*` message.
    const files = (dir: string): string[] => readdirSync(join(process.cwd(), dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
    const actions = new Set<string>();
    for (const f of ['services', 'crawler', 'console'].flatMap(files)) {
      for (const m of readFileSync(f, 'utf8').matchAll(/\baction: ([^,}\n]*)/g)) for (const q of m[1].matchAll(/'([a-z]+\.[a-z.-]+)'/g)) actions.add(q[1]);
    }
    expect(actions.size).toBeGreaterThan(40);
    expect([...actions].filter((a) => !(`audit.act.${a}` in CATALOGUES.en))).toEqual([]);
  });

  it('every key built from a list exists (roles, statuses, navigation, configuration rows)', () => {
    const keys = [
      ...ROLES.flatMap((r) => [`role.${r}`, `home.role.${r}`, `users.roleHelp.${r}`]),
      ...['open', 'monitoring', 'closed', 'withdrawn', 'erased'].flatMap((s) => [`status.${s}`, `case.statusHelp.${s}`]),
      ...NAV.flatMap((n) => [`nav.${n.key}`, `home.card.${n.key}`]),
      ...configRows(loadConfig({}, {})).map((r) => `config.key.${r.key}`),
      ...['opened', 'saved', 'withdrawn', 'assigned'].map((k) => `case.notice.${k}`),
      ...['image', 'video'].map((k) => `kind.${k}`),
    ];
    expect(keys.filter((k) => !(k in CATALOGUES.en))).toEqual([]);
  });
});

describe('console templates', () => {
  it('print values only escaped: <%~ %> is used for the layout body and includes alone', () => {
    const raw = views.flatMap(({ f, text }) => [...text.matchAll(/<%~\s*([^%]*)%>/g)].map((m) => `${f}: ${m[1].trim()}`));
    expect(raw.filter((r) => !/: (it\.body|include\('\.\/[a-z-]+', )/.test(r))).toEqual([]);
  });

  it('carry no inline scripts, event handlers or styles (the CSP would refuse them)', () => {
    for (const { f, text } of views) {
      expect(text, f).not.toMatch(/<script(?![^>]*\ssrc=)/);
      expect(text, f).not.toMatch(/\son[a-z]+=/i);
      expect(text, f).not.toMatch(/\sstyle=|<style/);
      expect(text, f).not.toMatch(/https?:\/\//);
    }
  });

  it('every form that changes something carries the CSRF token, and every POST page is checked', () => {
    for (const { f, text } of views) {
      for (const form of text.match(/<form[^>]*method="post"[\s\S]*?<\/form>/g) ?? []) {
        expect(/name="_csrf"|\?_csrf=/.test(form), `${f}: ${form.slice(0, 80)}`).toBe(true);
      }
    }
    // Only the sign-in steps are open before sign-in; everything else needs a finished sign-in.
    const open = PAGES.filter((p) => p.access === 'public').map((p) => `${p.method} ${p.url}`).sort();
    // (and the catch-all that answers unknown addresses with the console's 404 page)
    expect(open).toEqual(['GET /*', 'GET /sign-in', 'POST /language', 'POST /sign-in', 'POST /sign-out']);
    // No page puts victim data in its address: pages are addressed by case code at most, or by the
    // name of a site or platform, or a record's or crawl run's id - none of which is victim data.
    for (const p of PAGES) expect(p.url, p.url).toMatch(/^\/[a-z/.*-]*((:code|:name|:id|:run)[a-z/-]*)*$/);
  });
});

describe('console language and dates', () => {
  it('picks Korean or English from Accept-Language with q-values', () => {
    expect(fromAcceptLanguage('en-US,en;q=0.9,ko;q=0.8')).toBe('en');
    expect(fromAcceptLanguage('ko-KR,ko;q=0.9,en-US;q=0.8')).toBe('ko');
    expect(fromAcceptLanguage('de-DE,de;q=0.9,en;q=0.3,ko;q=0.5')).toBe('ko');
    expect(fromAcceptLanguage('fr')).toBeNull();
    expect(fromAcceptLanguage(undefined)).toBeNull();
  });

  it('reads a date input in the service\'s time zone', () => {
    expect(parseInputDate('2026-03-31', 'Asia/Seoul', 'end')!.toISOString()).toBe('2026-03-31T14:59:59.000Z');
    expect(parseInputDate('2026-03-31', 'Asia/Seoul', 'start')!.toISOString()).toBe('2026-03-30T15:00:00.000Z');
    expect(parseInputDate('2026-07-01', 'Europe/Berlin', 'start')!.toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(parseInputDate('31/03/2026', 'Asia/Seoul', 'end')).toBeNull();
  });

  it('validates the console settings with sentences', () => {
    expect(loadConfig({}, {}).require2fa).toEqual(['admin', 'staff']);
    expect(loadConfig({}, { STAYDOWN_REQUIRE_2FA: 'none' }).require2fa).toEqual([]);
    expect(() => loadConfig({}, { STAYDOWN_REQUIRE_2FA: 'admin,boss' })).toThrow(/unknown role 'boss'/);
    expect(() => loadConfig({}, { STAYDOWN_TIME_ZONE: 'Mars/Olympus' })).toThrow(/IANA time zone/);
    expect(() => loadConfig({}, { STAYDOWN_CONSOLE_IDLE_MINUTES: '0' })).toThrow(/STAYDOWN_CONSOLE_IDLE_MINUTES/);
    expect(() => loadConfig({}, { STAYDOWN_CONSOLE_SESSION_HOURS: '24' })).toThrow(/from 1 to 12/);
    expect(() => loadConfig({}, { STAYDOWN_PUBLIC_URL: 'ftp://x' })).toThrow(/http/);
  });
});
