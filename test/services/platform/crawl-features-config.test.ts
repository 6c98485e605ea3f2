import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../services/platform/config.ts';

const server = { DATABASE_URL: 'postgres://u@localhost/db' };

describe('STAYDOWN_CRAWL_FEATURES', () => {
  it('is auto by default and takes auto, on or off in any case', () => {
    expect(loadConfig({}, server).crawlFeatures).toBe('auto');
    expect(loadConfig({}, { ...server, STAYDOWN_CRAWL_FEATURES: '' }).crawlFeatures).toBe('auto');
    expect(loadConfig({}, { ...server, STAYDOWN_CRAWL_FEATURES: 'on' }).crawlFeatures).toBe('on');
    expect(loadConfig({}, { ...server, STAYDOWN_CRAWL_FEATURES: ' OFF ' }).crawlFeatures).toBe('off');
  });

  it('refuses anything else with a sentence naming the variable and its values', () => {
    expect(() => loadConfig({}, { ...server, STAYDOWN_CRAWL_FEATURES: 'yes' })).toThrow(new ConfigError("STAYDOWN_CRAWL_FEATURES must be auto, on or off, not 'yes'."));
  });
});
