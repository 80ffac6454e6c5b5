import { expect, Locator, Page, test } from '@playwright/test';
import { ADMIN, SERVERS } from '../playwright.config';
import { conversation, post, uniq, waitLive } from './helpers';

// The whole job with no mouse: sign in, pick a stage on the canvas, open a
// replay from the list, step it, change the cost range, create an API key.
// Every control on the way is reached with Tab (or Shift+Tab) and shows a
// focus ring when it gets there.

test.use({ storageState: { cookies: [], origins: [] } });
test.skip(({ isMobile }) => isMobile, 'a keyboard walk on the desktop');

/** Presses `key` until `target` has the focus, then checks it shows a ring. */
async function tabTo(page: Page, target: Locator, key: 'Tab' | 'Shift+Tab' = 'Tab') {
  await expect(target).toBeVisible();
  for (let i = 0; i < 120; i++) {
    await page.keyboard.press(key);
    if (await target.evaluate((el) => el === document.activeElement)) {
      const ring = await target.evaluate((el) => {
        if (!el.matches(':focus-visible')) return 'not :focus-visible';
        const s = getComputedStyle(el);
        if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) return 'ok';
        // A canvas node draws its ring as a thicker outline of its box.
        const box = el.querySelector('.node-box');
        if (box && parseFloat(getComputedStyle(box).strokeWidth) >= 3) return 'ok';
        return `no ring: outline ${s.outlineStyle} ${s.outlineWidth}`;
      });
      expect(ring).toBe('ok');
      return;
    }
  }
  throw new Error(`${key} never reached ${target}`);
}

test('sign in, filter by a stage, replay a conversation, change the cost range and create a key, by keyboard alone', async ({ page, request }) => {
  const chat = uniq('keys');
  await post(request, SERVERS.live, conversation(chat, Date.now() - 60_000));

  await page.goto('/login');
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  await tabTo(page, page.locator('input[name=email]'));
  await page.keyboard.type(ADMIN.email);
  await tabTo(page, page.locator('input[name=password]'));
  await page.keyboard.type(ADMIN.password);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(`${SERVERS.live}/`);
  await waitLive(page);

  // A stage on the canvas filters the log.
  const node = page.locator('svg.flow:visible g.node[data-stage="persona"]');
  await tabTo(page, node);
  await page.keyboard.press('Enter');
  await expect(node).toHaveClass(/selected/);
  await expect(page.locator('tr.row').first()).toHaveAttribute('data-stage', 'persona');

  // The list, then the conversation.
  await tabTo(page, page.locator('nav a[href="/replay"]'), 'Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(`${SERVERS.live}/replay`);
  await tabTo(page, page.locator(`tr[data-chat="${chat}"] a`));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(`${SERVERS.live}/replay/${chat}`);
  await expect(page.locator('[data-step-count]')).toHaveText('1 / 11');
  await tabTo(page, page.locator('button[aria-label="Step forward"]'));
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter');
  await expect(page.locator('[data-step-count]')).toHaveText('3 / 11');

  // The cost range.
  await tabTo(page, page.locator('nav a[href="/costs"]'), 'Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/costs/);
  const week = page.locator('button[data-range="7d"]');
  await tabTo(page, week);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/range=7d/);
  await expect(week).toHaveAttribute('aria-pressed', 'true');

  // An API key.
  await tabTo(page, page.locator('nav a[href="/admin"]'), 'Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(`${SERVERS.live}/admin`);
  await tabTo(page, page.locator('input[aria-label="Key name"]'));
  const name = uniq('kbd-key');
  await page.keyboard.type(name);
  await tabTo(page, page.locator('section[aria-labelledby="keys-title"] button[type=submit]'));
  await page.keyboard.press('Enter');
  await expect(page.locator('.key-value')).toHaveText(/^fm_[0-9a-f]{40}$/);
  await expect(page.locator('table.keys')).toContainText(name);
});
