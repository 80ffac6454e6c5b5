import AxeBuilder from '@axe-core/playwright';
import { expect, Page, test } from '@playwright/test';
import { SERVERS } from '../playwright.config';
import { conversation, post, uniq, waitLive } from './helpers';

// Every page checked by axe-core against WCAG 2.0 and 2.1, A and AA, with
// no rule disabled: signed out, as an admin and as a viewer, in the light
// and the dark theme, on a desktop and on a phone (the two projects).
// Checked once the page has hydrated and drawn what it draws live (the
// stream is open, the cost charts are drawn), so the checked page is the
// one people use.

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

async function settled(page: Page, path: string) {
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  if (path === '/' || path.startsWith('/replay')) {
    await waitLive(page);
  }
  if (path.startsWith('/costs')) {
    await expect(page.locator('#chart-cost-model canvas')).toHaveCount(1);
  }
}

async function violations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  return violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} :: ${n.failureSummary?.replace(/\s+/g, ' ')}`),
    count: v.nodes.length,
  }));
}

let chat = '';
test.beforeAll(async ({ request }) => {
  chat = uniq('a11y');
  await post(request, SERVERS.live, conversation(chat, Date.now() - 60_000));
});

for (const scheme of ['light', 'dark'] as const) {
  test.describe(`${scheme} theme`, () => {
    test.use({ colorScheme: scheme });

    test.describe('signed out', () => {
      test.use({ storageState: { cookies: [], origins: [] } });
      test('the sign-in page has no axe violations', async ({ page }) => {
        const resp = await page.goto('/login');
        expect(resp!.status()).toBe(200);
        await settled(page, '/login');
        expect(await violations(page)).toEqual([]);
      });
    });

    for (const role of ['admin', 'viewer'] as const) {
      test.describe(role, () => {
        test.use({ storageState: `.tmp/${role}.json` });
        const pages = ['/', '/replay', '/replay/{chat}', '/costs', '/admin'];
        for (const path of pages) {
          test(`${path} has no axe violations`, async ({ page }) => {
            const url = path.replace('{chat}', chat);
            const resp = await page.goto(url);
            const refused = role === 'viewer' && (path === '/costs' || path === '/admin');
            expect(resp!.status()).toBe(refused ? 403 : 200);
            if (!refused) await settled(page, url);
            if (role === 'admin' && path === '/costs') {
              // A budget, so its gauge is checked too.
              await page.fill('input[aria-label="Budget name"]', uniq('a11y-budget'));
              await page.fill('input[aria-label="Limit in USD"]', '1000000');
              await page.click('text=Add budget');
              await expect(page.locator('.gauge').first()).toBeVisible();
            }
            expect(await violations(page)).toEqual([]);
          });
        }
      });
    }
  });
}

// Live updates are announced politely for the connection state and alert
// toasts only, never for each event: no other live region on a live page
// (form errors, shown after an action, aside).
test('only the connection state and the alert toasts are live regions', async ({ page }) => {
  for (const path of ['/', '/costs', `/replay/${chat}`]) {
    await page.goto(path);
    await settled(page, path);
    const regions = await page.evaluate(() =>
      [...document.querySelectorAll('[aria-live]:not([aria-live=off]), [role=status], [role=alert], [role=log], [role=timer], [role=marquee]')]
        .filter((el) => !el.classList.contains('form-error') && !el.closest('[data-step-count]'))
        .map((el) => `${el.className}: ${el.getAttribute('aria-live') ?? el.getAttribute('role')}`),
    );
    expect(regions, path).toEqual(['conn: polite', 'toasts: polite']);
  }
});
