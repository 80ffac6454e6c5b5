import { defineConfig } from '@playwright/test';

// The browser benchmarks (end2end/bench/), not tests: they print figures
// and assert only that pages answer. One release server on a fresh SQLite
// file with the simulator on, so `/` has live traffic to show. Build first:
//   scripts/build-site.sh
//   cd end2end && npx playwright test -c bench.config.ts
// FLOWMETER_BIN and FLOWMETER_SITE pick another build's server and site
// (both from the same build: the site's WASM must match the server's
// pages); scripts/phone-ab.sh alternates two builds.
export const BENCH = 'http://127.0.0.5:3330';
export const BENCH_ADMIN = { email: 'bench@flowmeter.local', password: 'bench password 1' };
const bin = process.env.FLOWMETER_BIN ?? 'target/release/server';
const site = process.env.FLOWMETER_SITE ?? 'target/site';

export default defineConfig({
  testDir: './bench',
  timeout: 300_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: BENCH,
    colorScheme: 'dark',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  projects: [
    { name: 'phone', use: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 } },
  ],
  webServer: {
    command:
      'mkdir -p end2end/.tmp && rm -f end2end/.tmp/bench.db* && ' +
      `echo '${BENCH_ADMIN.password}' | ${bin} create-admin --email ${BENCH_ADMIN.email} && exec ${bin} serve`,
    cwd: '..',
    url: `${BENCH}/api/ping`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      FLOWMETER_CONFIG: 'end2end/.tmp/none.toml',
      FLOWMETER_ADDRESS: BENCH.replace('http://', ''),
      DATABASE_URL: 'sqlite://end2end/.tmp/bench.db',
      INGEST_API_KEYS: 'bench-key',
      SIMULATOR_ENABLED: 'true',
      SIMULATOR_RATE: '2',
      LEPTOS_SITE_ROOT: site,
      LEPTOS_ENV: 'PROD',
      RUST_LOG: 'warn',
    },
  },
});
