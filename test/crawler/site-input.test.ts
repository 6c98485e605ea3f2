import { describe, expect, it } from 'vitest';
import { validateSiteInput } from '../../crawler/site-input.ts';

const base = { name: 'board-1', urls: ['https://board.example/'] };

describe('validateSiteInput', () => {
  it('fills defaults and normalises', () => {
    expect(validateSiteInput({ ...base, allowHosts: [' 127.0.0.1 '], maxPages: '50', engine: 'browser', schedule: '*/10 * * * *' })).toMatchObject({
      name: 'board-1', startUrls: ['https://board.example/'], engine: 'browser', maxPages: 50, allowHosts: ['127.0.0.1'], robots: 'respect', schedule: '*/10 * * * *',
    });
  });

  it.each([
    [{ name: 'Bad Name' }, /site name 'Bad Name' is not usable/],
    [{ urls: [] }, /at least one start URL/],
    [{ urls: ['javascript:alert(1)'] }, /must start with http/],
    [{ engine: 'curl' }, /engine must be 'http' or 'browser'/],
    [{ follow: ['(unclosed'] }, /follow pattern '\(unclosed' is not a valid regular expression/],
    [{ schedule: 'every day' }, /not a valid cron expression/],
    [{ searchUrl: 'https://s.example/?q=' }, /no \{keyword\} placeholder/],
    [{ maxDepth: '99' }, /--max-depth must be a whole number from 0 to 20/],
    [{ maxPages: '1.5' }, /--max-pages must be a whole number/],
    [{ ignoreRobotsReason: '  ' }, /needs a reason/],
  ])('refuses %o', (over, message) => {
    expect(() => validateSiteInput({ ...base, ...over } as never)).toThrow(message);
  });

  it('records the reason when robots.txt is to be ignored', () => {
    expect(validateSiteInput({ ...base, ignoreRobotsReason: 'court order 12/3' })).toMatchObject({ robots: 'ignore', robotsOverrideReason: 'court order 12/3' });
  });
});
