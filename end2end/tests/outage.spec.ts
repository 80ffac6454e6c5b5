import { APIRequestContext, expect, test } from '@playwright/test';
import { conversation, post, uniq } from './helpers';
import { KEY, OUTAGE } from '../playwright.config';

// Postgres goes away under open pages (end2end/outage.sh puts a TCP proxy
// between the server and its database; this spec cuts and restores it).
// An open page keeps its last good figures and says it could not refresh;
// a page loaded meanwhile explains and retries by itself; once the database
// is back, everything recovers with no restart and no reload by hand.

async function proxy(request: APIRequestContext, what: 'cut' | 'restore') {
  const resp = await request.post(`${OUTAGE!.control}/${what}`);
  expect(resp.status()).toBe(204);
}

test('through a Postgres outage an open page keeps its last figures, and everything recovers by itself', async ({ page, context, request }) => {
  test.skip(!OUTAGE, 'needs Postgres (scripts/test.sh starts it)');
  test.skip(test.info().project.name !== 'desktop', 'one browser is enough');
  test.setTimeout(90_000);
  const { base } = OUTAGE!;
  await proxy(request, 'restore');
  await post(request, base, conversation(uniq('outage'), Date.now() - 120_000));

  await page.goto(`${base}/costs?range=24h&refresh=10`);
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  const total = page.locator('[data-figure=total] .figure');
  await expect(total).not.toHaveAttribute('data-nanos', '0');
  const before = await total.getAttribute('data-nanos');
  const shown = await total.textContent();
  const banner = page.locator('.error-banner');
  await expect(banner).toHaveCount(0);

  await proxy(request, 'cut');
  try {
    // The next refresh (every 10 s) fails: the page says so and keeps the
    // figures it had.
    await expect(banner).toContainText('Could not refresh: the event store is unavailable', { timeout: 20_000 });
    await expect(banner).toContainText('Showing the last figures that loaded.');
    await expect(total).toHaveAttribute('data-nanos', before!);
    await expect(total).toHaveText(shown!);

    // Ingest refuses with 503 and Retry-After; nothing acknowledged is lost
    // because nothing is acknowledged.
    const refused = await request.post(`${base}/api/events`, {
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      data: conversation(uniq('refused'), Date.now() - 60_000),
    });
    expect(refused.status()).toBe(503);
    expect(refused.headers()['retry-after']).toBe('5');
    const health = await request.get(`${base}/api/health`);
    expect(health.status()).toBe(503);

    // A page opened now explains, and retries by itself.
    const other = await context.newPage();
    const resp = await other.goto(`${base}/replay`);
    expect(resp!.status()).toBe(503);
    await expect(other.locator('[data-unavailable]')).toContainText('cannot reach its database');

    await proxy(request, 'restore');
    // The waiting page reloads into the real one (it retries every 5 s).
    await expect(other.locator('h1.page-title')).toBeVisible({ timeout: 20_000 });
    await expect(other.locator('[data-unavailable]')).toHaveCount(0);
    await other.close();
  } finally {
    await proxy(request, 'restore');
  }

  // The open page's next refresh clears the banner; ingest is accepted again
  // and the figures move.
  await expect(banner).toHaveCount(0, { timeout: 20_000 });
  const [id] = await post(request, base, conversation(uniq('after'), Date.now() - 60_000));
  expect(id).toBeGreaterThan(0);
  await expect(total).not.toHaveAttribute('data-nanos', before!, { timeout: 20_000 });
  expect((await request.get(`${base}/api/health`)).status()).toBe(200);
});
