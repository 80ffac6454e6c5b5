import { defineConfig } from '@playwright/test';

// Three servers on fresh SQLite files: `live` for interactive tests, and one
// per screenshot project so each snapshot sees exactly its seeded data. Each
// has its own loopback address so their session cookies stay apart.
export const KEY = 'e2e-ingest-key';
export const ADMIN = { email: 'admin@e2e.test', password: 'e2e-admin-password' };
export const VIEWER = { email: 'viewer@e2e.test', password: 'e2e-viewer-password' };
export const SERVERS: Record<string, string> = {
  live: 'http://127.0.0.1:3310',
  snapDesktop: 'http://127.0.0.2:3311',
  snapMobile: 'http://127.0.0.3:3312',
};

// Two replicas on Postgres and Redis behind nginx (end2end/cluster.sh), when
// scripts/test.sh provides Postgres and Redis; cluster.spec.ts skips without.
export const CLUSTER = process.env.FLOWMETER_TEST_REDIS_URL && process.env.FLOWMETER_TEST_POSTGRES_URL
  ? { balancer: 'http://127.0.0.4:3320', replicas: ['http://127.0.0.4:3321', 'http://127.0.0.4:3322'] }
  : null;
if (CLUSTER) SERVERS.cluster = CLUSTER.balancer;

// One server on Postgres through a TCP proxy that outage.spec.ts cuts and
// restores (end2end/outage.sh), when scripts/test.sh provides Postgres.
export const OUTAGE = process.env.FLOWMETER_TEST_POSTGRES_URL
  ? { base: 'http://127.0.0.5:3330', control: 'http://127.0.0.5:3332' }
  : null;
if (OUTAGE) SERVERS.outage = OUTAGE.base;

const server = (name: string, base: string) => {
  const addr = base.replace('http://', '');
  // FLOWMETER_BIN=target/release/server measures a release build.
  const bin = process.env.FLOWMETER_BIN ?? 'target/debug/server';
  return {
    command:
      `rm -f end2end/.tmp/${name}.db* && ` +
      `echo '${ADMIN.password}' | ${bin} create-admin --email ${ADMIN.email} && ` +
      `echo '${VIEWER.password}' | ${bin} create-user --email ${VIEWER.email} --role viewer && ` +
      `exec ${bin} serve`,
    cwd: '..',
    url: `${base}/api/ping`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      FLOWMETER_ADDRESS: addr,
      DATABASE_URL: `sqlite://end2end/.tmp/${name}.db`,
      INGEST_API_KEYS: KEY,
      SIMULATOR_ENABLED: 'false',
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
    },
  };
};

// A script that starts servers on Postgres (end2end/throwaway.sh) and
// answers at `base`.
const script = (command: string, base: string) => ({
  command,
  cwd: '..',
  url: `${base}/api/ping`,
  reuseExistingServer: false,
  timeout: 90_000,
  stdout: 'ignore' as const,
  stderr: 'pipe' as const,
  env: { E2E_KEY: KEY, E2E_ADMIN_EMAIL: ADMIN.email, E2E_ADMIN_PASSWORD: ADMIN.password },
});

export default defineConfig({
  testDir: './tests',
  timeout: 45_000,
  retries: 0,
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  globalSetup: require.resolve('./global-setup'),
  snapshotPathTemplate: '{testDir}/__screenshots__/{testFilePath}/{arg}-{projectName}{ext}',
  expect: {
    timeout: 10_000,
    // What changes run to run (clock times, today's figures) is masked in
    // each snapshot, and the seeded data is the same each run, so almost
    // nothing may differ: 20 pixels is less than one changed digit.
    toHaveScreenshot: { animations: 'disabled', caret: 'hide', maxDiffPixels: 20 },
  },
  use: {
    baseURL: SERVERS.live,
    storageState: '.tmp/admin.json',
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
    server('live', SERVERS.live),
    server('snap-desktop', SERVERS.snapDesktop),
    server('snap-mobile', SERVERS.snapMobile),
    ...(CLUSTER ? [script('end2end/cluster.sh', CLUSTER.balancer)] : []),
    ...(OUTAGE ? [script('end2end/outage.sh', OUTAGE.base)] : []),
  ],
});
