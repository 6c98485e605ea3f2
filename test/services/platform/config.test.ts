import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../services/platform/config.ts';

const server = { DATABASE_URL: 'postgres://u@localhost/db' };

describe('loadConfig', () => {
  it('reads the crawl settings with their defaults', () => {
    expect(loadConfig({}, server)).toMatchObject({ crawlWorkers: 1, crawlLeaseSeconds: 60, crawlSweepSeconds: 30, queueSchema: 'pgboss' });
    expect(loadConfig({}, { ...server, STAYDOWN_CRAWL_WORKERS: '3', STAYDOWN_CRAWL_LEASE_SECONDS: '5', STAYDOWN_CRAWL_SWEEP_SECONDS: '2', STAYDOWN_QUEUE_SCHEMA: 'crawl_jobs' }))
      .toMatchObject({ crawlWorkers: 3, crawlLeaseSeconds: 5, crawlSweepSeconds: 2, queueSchema: 'crawl_jobs' });
  });

  it('refuses bad values with a sentence naming the variable', () => {
    expect(() => loadConfig({}, { ...server, STAYDOWN_CRAWL_WORKERS: '0' })).toThrow(new ConfigError("STAYDOWN_CRAWL_WORKERS must be a whole number from 1 to 64, not '0'."));
    expect(() => loadConfig({}, { ...server, STAYDOWN_CRAWL_LEASE_SECONDS: '1.5' })).toThrow(/STAYDOWN_CRAWL_LEASE_SECONDS must be a whole number from 2 to 3600/);
    expect(() => loadConfig({}, { ...server, STAYDOWN_QUEUE_SCHEMA: 'x; DROP TABLE cases' })).toThrow(/STAYDOWN_QUEUE_SCHEMA must be a lowercase SQL name/);
    expect(() => loadConfig({}, { DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL must be a postgres/);
    expect(() => loadConfig({ roles: ['worker'] }, {})).toThrow(/embedded database runs every role in one process/);
  });

  it('takes a bare address for the organisation and a named or bare one for the sender, and refuses the rest', () => {
    const smtp = { ...server, STAYDOWN_SMTP_URL: 'smtp://127.0.0.1:25' };
    expect(loadConfig({}, { ...smtp, STAYDOWN_NOTICE_FROM: 'Takedown desk <takedown@support.example>' }).noticeFrom).toBe('Takedown desk <takedown@support.example>');
    expect(loadConfig({}, { ...smtp, STAYDOWN_NOTICE_FROM: ' takedown@support.example ' }).noticeFrom).toBe('takedown@support.example');
    expect(() => loadConfig({}, { ...smtp, STAYDOWN_NOTICE_FROM: 'Desk <desk>' })).toThrow(/STAYDOWN_NOTICE_FROM must be an e-mail address/);
    expect(loadConfig({}, { ...server, STAYDOWN_ORG_EMAIL: 'help@centre.example' }).orgEmail).toBe('help@centre.example');
    expect(() => loadConfig({}, { ...server, STAYDOWN_ORG_EMAIL: 'Centre <help@centre.example>' })).toThrow(/STAYDOWN_ORG_EMAIL must be an e-mail address such as takedown@example.org/);
  });
});
