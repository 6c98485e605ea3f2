import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A throwaway PostgreSQL server for the run (unless STAYDOWN_TEST_DATABASE_URL is set).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: keep parallel files modest so ffmpeg/Chromium tests do not starve each other.
    maxWorkers: 2,
  },
});
