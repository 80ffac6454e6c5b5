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

    // When the live stream was asked for and answered (it stays open, so
    // the page's own timings never list it), in the browser's clock.
    // The latest stream: its request's wall-clock time (ms) and monotonic
    // time (s), and how long its headers took.
    // And what it brought over the link, chunk by chunk (monotonic time,
    // bytes as sent): the stream shares the link with the WASM.
    const streams: Record<string, { wall: number; at: number; chunks: [number, number][] }> = {};
    let stream = { wall: NaN, at: NaN, answeredMs: NaN, chunks: [] as [number, number][] };
    cdp.on('Network.requestWillBeSent', (e) => {
      if (e.request.url.includes('/api/telemetry/stream')) {
        streams[e.requestId] = { wall: e.wallTime * 1000, at: e.timestamp, chunks: [] };
      }
    });
    cdp.on('Network.responseReceived', (e) => {
      const asked = streams[e.requestId];
      if (asked) stream = { ...asked, answeredMs: Math.round((e.timestamp - asked.at) * 1000) };
    });
    cdp.on('Network.dataReceived', (e) => {
      streams[e.requestId]?.chunks.push([e.timestamp, e.encodedDataLength]);
    });
    // The moments the page went live and drew its first chart, noted in the
    // page itself from navigation start (the test's own polling would add
    // up to a second).
    await page.addInitScript(() => {
      const w = window as unknown as Record<string, number | undefined>;
      new MutationObserver(() => {
        w.liveAt ??= document.querySelector('.conn[data-state="live"]') ? performance.now() : undefined;
        w.chartAt ??= document.querySelector('.chart canvas') ? performance.now() : undefined;
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    const noted = (name: string) => page.evaluate((n) => Math.round((window as unknown as Record<string, number>)[n]), name);
    const fcp: number[] = [];
    const interactive: number[] = [];
    const polled: number[] = [];
    const charted: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const t0 = Date.now();
      const resp = await page.goto(path, { waitUntil: 'commit' });
      expect(resp?.status()).toBe(200);
      await expect(page.locator('.conn')).toHaveAttribute('data-state', 'live', { timeout: 60_000 });
      polled.push(Date.now() - t0);
      interactive.push(await noted('liveAt'));
      if (path === '/costs') {
        await expect(page.locator('.chart canvas').first()).toBeVisible({ timeout: 60_000 });
        charted.push(await noted('chartAt'));
      }
      console.log(`  run ${run + 1}: interactive ${interactive[run]} ms (seen by the test ${polled[run]} ms)` +
        (charted.length ? `, chart ${charted[run]} ms` : ''));
      fcp.push(await page.evaluate(() =>
        performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
    }
    // From the last load: the main module and the page's own chunks (lazy
    // routes) as sent, the page's own bytes, and where the time went (each
    // request's start and end, and its bytes as sent).
    const last = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      return {
        origin: performance.timeOrigin,
        wasm: resources.filter((r) => r.name.endsWith('.wasm')).reduce((sum, r) => sum + r.encodedBodySize, 0),
        sent: nav.encodedBodySize,
        unpacked: nav.decodedBodySize,
        waterfall: [nav, ...resources].map((r) =>
          `    ${Math.round(r.startTime).toString().padStart(5)}–${Math.round(r.responseEnd).toString().padStart(5)} ms ` +
            `${r.encodedBodySize.toString().padStart(7)} B ${new URL(r.name).pathname}`),
      };
    });
    // The stream's bytes until the page was live, in the monotonic clock:
    // the stream was asked for at `stream.at`, which is this many ms from
    // navigation start.
    const askedAt = stream.wall - last.origin;
    const liveMono = stream.at + (interactive[RUNS - 1] - askedAt) / 1000;
    const streamBytes = stream.chunks.filter(([t]) => t <= liveMono).reduce((sum, [, b]) => sum + b, 0);
    console.log(`last load of ${path}:\n${last.waterfall.join('\n')}\n` +
      `    live stream asked for at ${Math.round(askedAt)} ms, ${stream.answeredMs} ms to its headers, ` +
      `${streamBytes} B received (as sent) by the time the page was live`);
    console.log(
      `phone profile ${path}: first contentful paint ${median(fcp).toFixed(0)} ms, ` +
        `interactive ${median(interactive)} ms (runs: ${interactive.join(', ')}; seen by the test ${median(polled)} ms)` +
        (charted.length ? `, first chart drawn ${median(charted)} ms` : '') +
        `; WASM transferred ${last.wasm} B (main module and this page's chunks); the page ${last.sent} B as sent, ${last.unpacked} B unpacked`,
    );
  });
}
