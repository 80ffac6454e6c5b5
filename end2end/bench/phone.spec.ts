// Time to interactive on a phone: Chromium with 4× CPU slowdown and a
// 1.6 Mbps, 150 ms link (Lighthouse's mobile profile), cold cache, five
// loads of each page, medians printed. "Interactive" is the page hydrated
// with its live stream open (the header's `.conn` says `live`, which only
// the hydrated WASM sets); for /costs, also its first chart drawn.
// A benchmark: it prints figures and asserts only that pages answer.
import { expect, test } from '@playwright/test';
import { BENCH_ADMIN } from '../bench.config';

const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const path of ['/', '/costs']) {
  test(`${path} on a phone profile`, async ({ page, context, baseURL }) => {
    const login = await page.request.post(`${baseURL}/api/auth/login`, { data: BENCH_ADMIN });
    expect(login.status()).toBe(200);
    // Some traffic first, so the pages have something to draw.
    await expect(async () => {
      const summary = await page.request.get(`${baseURL}/api/telemetry/summary?range=1h`);
      expect(summary.status()).toBe(200);
      expect((await summary.json()).overview.events).toBeGreaterThan(50);
    }).toPass({ timeout: 60_000 });

    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });

    const fcp: number[] = [];
    const interactive: number[] = [];
    const charted: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const t0 = Date.now();
      const resp = await page.goto(path, { waitUntil: 'commit' });
      expect(resp?.status()).toBe(200);
      await expect(page.locator('.conn')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
      interactive.push(Date.now() - t0);
      if (path === '/costs') {
        await expect(page.locator('.chart canvas').first()).toBeVisible({ timeout: 60_000 });
        charted.push(Date.now() - t0);
      }
      console.log(`  run ${run + 1}: interactive ${interactive[run]} ms` + (charted.length ? `, chart ${charted[run]} ms` : ''));
      fcp.push(await page.evaluate(() =>
        performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
    }
    // The main module and the page's own chunks (lazy routes), as sent.
    const wasm = await page.evaluate(() =>
      performance.getEntriesByType('resource')
        .filter((r) => r.name.endsWith('.wasm'))
        .map((r) => (r as PerformanceResourceTiming).encodedBodySize)
        .reduce((a, b) => a + b, 0));
    console.log(
      `phone profile ${path}: first contentful paint ${median(fcp).toFixed(0)} ms, ` +
        `interactive ${median(interactive)} ms (runs: ${interactive.join(', ')})` +
        (charted.length ? `, first chart drawn ${median(charted)} ms` : '') +
        `; WASM transferred ${wasm} B (main module and this page's chunks)`,
    );
  });
}
