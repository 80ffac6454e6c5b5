import { expect, test } from '@playwright/test';
import { post, uniq, waitLive } from './helpers';
import { ADMIN, SERVERS } from '../playwright.config';

const live = SERVERS.live;

test('without JavaScript the page shows the same log rows as with it', async ({ browser, page, request }) => {
  const chat = uniq('nojs');
  const ids = await post(request, live, [
    { chatId: chat, turnId: 't', stage: 'intent', durationMs: 80 },
    { chatId: chat, turnId: 't', stage: 'response', status: 'error', error: 'timeout' },
  ]);

  await page.goto('/');
  const staticRows = await page.locator('tr.row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  expect(staticRows.slice(0, 2)).toEqual(ids.slice().reverse().map(String));
  await expect(page.locator(`tr.row[data-id="${ids[1]}"]`)).toHaveClass(/status-error/);
  await expect(page.locator('svg.flow g.node[data-stage="response"]').first()).toBeAttached();
  await expect(page.locator('.cards .card')).toHaveCount(4);

  const withJs = await browser.newContext({ javaScriptEnabled: true, storageState: '.tmp/admin.json' });
  const jsPage = await withJs.newPage();
  await jsPage.goto(`${live}/`);
  await waitLive(jsPage);
  const liveRows = await jsPage.locator('tr.row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  expect(liveRows).toEqual(staticRows);
  await withJs.close();
});

test('signing in works without JavaScript and goes where it was asked to', async ({ browser }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, storageState: { cookies: [], origins: [] } });
  const page = await ctx.newPage();
  const resp = await page.goto(`${live}/login?next=/admin`);
  expect(resp!.status()).toBe(200);
  await page.fill('input[name=email]', ADMIN.email);
  await page.fill('input[name=password]', ADMIN.password);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.locator('h1.page-title')).toHaveText('Admin');
  await ctx.close();
});
