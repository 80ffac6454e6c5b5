import { expect, Page, test } from '@playwright/test';
import { SERVERS } from '../playwright.config';
import { conversation, post, uniq } from './helpers';

// On a phone (390 px) no page scrolls or is cut off sideways: nothing
// reaches past the viewport except inside a container that scrolls on its
// own (and is a focusable region, see a11y.spec.ts); the header stays one
// row; the admin tables are stacked cards that fit.

test.skip(({ isMobile }) => !isMobile, 'phone layout');

/** Elements whose box reaches past the viewport's sides, outside any
 * container that scrolls or clips sideways. */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const clipped = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) return true;
      }
      return false;
    };
    const out: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || r.bottom < 0) continue;
      if ((r.right > width + 0.5 || r.left < -0.5) && !clipped(el)) {
        out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} [${Math.round(r.left)}, ${Math.round(r.right)}] > ${width}`);
      }
    }
    return out;
  });
}

let chat = '';
test.beforeAll(async ({ request }) => {
  chat = uniq('phone');
  await post(request, SERVERS.live, conversation(chat, Date.now() - 60_000));
});

async function check(page: Page, path: string) {
  const resp = await page.goto(path.replace('{chat}', chat));
  expect(resp!.status()).toBe(200);
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  if (path.startsWith('/costs')) await expect(page.locator('#chart-cost-model canvas')).toHaveCount(1);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(await overflowing(page)).toEqual([]);
  // The header is one row.
  const bar = await page.locator('.topbar').boundingBox();
  expect(bar!.height).toBeLessThan(64);
}

for (const path of ['/', '/replay', '/replay/{chat}', '/costs', '/admin']) {
  test(`${path} fits a phone as an admin`, async ({ page }) => {
    await check(page, path);
  });
}

test.describe('viewer', () => {
  test.use({ storageState: '.tmp/viewer.json' });
  for (const path of ['/', '/replay']) {
    test(`${path} fits a phone as a viewer`, async ({ page }) => {
      await check(page, path);
    });
  }
});

test.describe('signed out', () => {
  test.use({ storageState: { cookies: [], origins: [] } });
  test('the sign-in page fits a phone', async ({ page }) => {
    await check(page, '/login');
  });
});

test('the admin tables are stacked cards on a phone', async ({ page }) => {
  await page.goto('/admin');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  // A stored key, so the keys table has a row.
  await page.fill('input[aria-label="Key name"]', uniq('phone-key'));
  await page.click('text=Create key');
  await expect(page.locator('.key-value')).toBeVisible();
  for (const table of ['table.users', 'table.keys']) {
    const rows = page.locator(`${table} tbody tr`);
    await expect(rows.first()).toBeVisible();
    expect(await rows.first().evaluate((r) => getComputedStyle(r).display)).toBe('grid');
    // Each cell says what it is, and the table fits without scrolling.
    const fits = await page.locator(table).evaluate((t) => t.scrollWidth <= t.parentElement!.clientWidth);
    expect(fits).toBe(true);
  }
});
