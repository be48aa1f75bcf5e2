import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests. The 'chromium' project drives Debian's Chromium (no browser download on these machines).
 * Specs that launch Electron themselves live in the same folder and use no browser from this project.
 */
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/e2e',
  // The specs start real DNS servers and services; one worker keeps ports and timing predictable.
  workers: 1,
  fullyParallel: false,
  // A guard against hangs, not a speed target: on a loaded two-core machine a long spec takes over a minute.
  timeout: 120_000,
  // How long a state may take to show: on a two-core machine running other work, a query's way through the
  // service, the stream and React can take several seconds. Waits end as soon as the state is there.
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e-report.json' }]],
  use: {
    locale: 'en-US',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            '--disable-quic',
          ],
        },
      },
    },
  ],
});
