import { defineConfig } from '@playwright/test';

// Three servers on fresh SQLite files: `live` for interactive tests, and one
// per screenshot project so each snapshot sees exactly its seeded data.
export const KEY = 'e2e-ingest-key';
export const PORTS = { live: 3310, snapDesktop: 3311, snapMobile: 3312 };

const server = (name: string, port: number) => ({
  command: `rm -f end2end/.tmp/${name}.db* && exec target/debug/server serve`,
  cwd: '..',
  url: `http://127.0.0.1:${port}/api/ping`,
  reuseExistingServer: false,
  timeout: 60_000,
  stdout: 'ignore' as const,
  stderr: 'pipe' as const,
  env: {
    FLOWMETER_ADDRESS: `127.0.0.1:${port}`,
    DATABASE_URL: `sqlite://end2end/.tmp/${name}.db`,
    INGEST_API_KEYS: KEY,
    SIMULATOR_ENABLED: 'false',
    LEPTOS_SITE_ROOT: 'target/site',
    RUST_LOG: 'warn',
  },
});

export default defineConfig({
  testDir: './tests',
  timeout: 45_000,
  retries: 0,
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  snapshotPathTemplate: '{testDir}/__screenshots__/{testFilePath}/{arg}-{projectName}{ext}',
  expect: {
    timeout: 10_000,
    toHaveScreenshot: { animations: 'disabled', caret: 'hide', maxDiffPixelRatio: 0.01 },
  },
  use: {
    baseURL: `http://127.0.0.1:${PORTS.live}`,
    colorScheme: 'dark',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--font-render-hinting=none',
      ],
    },
  },
  projects: [
    { name: 'desktop', use: { viewport: { width: 1280, height: 800 } }, testIgnore: /no-js/ },
    {
      name: 'mobile',
      use: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
      testIgnore: /no-js/,
    },
    { name: 'no-js', use: { javaScriptEnabled: false, viewport: { width: 1280, height: 800 } }, testMatch: /no-js/ },
  ],
  webServer: [
    server('live', PORTS.live),
    server('snap-desktop', PORTS.snapDesktop),
    server('snap-mobile', PORTS.snapMobile),
  ],
});
