import { expect, test } from '@playwright/test';
import { ADMIN, SERVERS, VIEWER } from '../playwright.config';
import { conversation, post, uniq, waitLive } from './helpers';

const signedOut = { cookies: [], origins: [] };

test.describe('signed out', () => {
  test.use({ storageState: signedOut });

  test('any page leads to the sign-in page, which keeps where you were going', async ({ page }) => {
    await page.goto('/admin');
    await expect(page).toHaveURL(/\/login\?next=\/admin$/);
    await expect(page.locator('h1')).toHaveText('Sign in');
    await expect(page.locator('nav a')).toHaveCount(0);
  });

  test('a wrong password shows the error', async ({ page }) => {
    await page.goto('/login');
    await page.fill('input[name=email]', VIEWER.email);
    await page.fill('input[name=password]', 'not the password');
    await page.click('button[type=submit]');
    await expect(page.locator('.form-error')).toHaveText('Wrong email or password.');
    await expect(page).toHaveURL(/\/login\?error=invalid/);
  });

  test('signing in and out', async ({ page }) => {
    await page.goto('/login?next=/admin');
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', ADMIN.password);
    await page.click('button[type=submit]');
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.locator('h1.page-title')).toHaveText('Admin');
    await page.click('text=Sign out');
    await expect(page).toHaveURL(/\/login$/);
    await page.goto('/');
    await expect(page).toHaveURL(/\/login/);
  });

  test('sign-in page snapshot', async ({ page }) => {
    await page.goto('/login');
    // After hydration, which settles the header.
    await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
    await expect(page).toHaveScreenshot('login.png', { fullPage: true });
  });
});

test.describe('viewer', () => {
  test.use({ storageState: '.tmp/viewer.json' });

  test('sees the flow without admin links or cost, and is refused the rest', async ({ page, browser, request }) => {
    await page.goto('/');
    await waitLive(page);
    await expect(page.locator('nav a')).toHaveText(['Flow', 'Replay']);
    await expect(page.locator('[data-nav=admin]')).toHaveCount(0);

    // A priced conversation: its list row and its replay show an admin
    // what it cost, and a viewer nothing of it.
    const chat = uniq('viewer-cost');
    await post(request, SERVERS.live, conversation(chat, Date.now() - 60_000));
    const adminContext = await browser.newContext({ storageState: '.tmp/admin.json' });
    const adminPage = await adminContext.newPage();
    await adminPage.goto(`${SERVERS.live}/replay`);
    await expect(adminPage.locator(`tr.conversation[data-chat="${chat}"] .cv-cost`)).toContainText('$');
    await adminPage.goto(`${SERVERS.live}/replay/${chat}?step=2`);
    await expect(adminPage.locator('[data-detail=cost]')).toContainText('$');
    await adminContext.close();
    await page.goto('/replay');
    const row = page.locator(`tr.conversation[data-chat="${chat}"]`);
    await expect(row).toBeVisible();
    await expect(row.locator('.cv-cost')).toHaveCount(0);
    await expect(page.locator('main')).not.toContainText('$');
    await page.goto(`/replay/${chat}?step=2`);
    await expect(page.locator('[data-detail=model]')).not.toHaveText('—');
    await expect(page.locator('[data-detail=cost]')).toHaveCount(0);
    await expect(page.locator('main')).not.toContainText('$');

    const admin = await page.goto('/admin');
    expect(admin?.status()).toBe(403);
    await expect(page.locator('[data-forbidden] h1')).toHaveText('Admins only');
    const costs = await page.goto('/costs');
    expect(costs?.status()).toBe(403);
    await expect(page.locator('[data-forbidden] h1')).toHaveText('Admins only');
    await expect(page.locator('body')).not.toContainText('$');
    const exported = await page.request.get(`${SERVERS.live}/api/telemetry/export?format=csv`);
    expect(exported.status()).toBe(403);

    const rest = await page.request.get(`${SERVERS.live}/api/telemetry/summary?range=1h`);
    expect(rest.status()).toBe(403);
    const fn = await page.request.post(`${SERVERS.live}/api/summary`, {
      form: { 'query[range]': '1h' },
      headers: { origin: SERVERS.live },
    });
    expect(fn.status()).toBe(403);
    const users = await page.request.post(`${SERVERS.live}/api/admin/users`, { headers: { origin: SERVERS.live } });
    expect(users.status()).toBe(403);
  });
});

test.describe('admin', () => {
  test('every page hydrates, streams and draws under its Content Security Policy, with no violation', async ({ page }) => {
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`Refused to load: ${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    for (const path of ['/', '/replay', '/costs', '/admin']) {
      const resp = await page.goto(path);
      expect(resp!.status()).toBe(200);
      expect(resp!.headers()['content-security-policy']).toContain("script-src 'self' 'nonce-");
      await waitLive(page);
      if (path === '/costs') await expect(page.locator('#chart-cost-model canvas')).toHaveCount(1);
    }
    expect(violations).toEqual([]);
  });

  test('manages users and API keys in the admin area', async ({ page, request }) => {
    await page.goto('/admin');
    await expect(page.locator('[data-nav=admin]')).toBeVisible();
    const email = `new-${Date.now()}@e2e.test`;
    await page.fill('input[aria-label=Email]', email);
    await page.fill('input[aria-label=Password]', 'a long enough password');
    await page.click('text=Create user');
    await expect(page.locator(`tr[data-user="${email}"]`)).toContainText('viewer');

    await page.fill('input[aria-label="Key name"]', 'e2e-key');
    await page.click('text=Create key');
    const key = (await page.locator('.key-value').textContent())!.trim();
    expect(key).toMatch(/^fm_[0-9a-f]{40}$/);
    const post = () =>
      request.post(`${SERVERS.live}/api/events`, {
        headers: { 'x-api-key': key },
        data: { chatId: 'e2e-key-chat', stage: 'intent' },
      });
    expect((await post()).status()).toBe(202);
    const row = page.locator(`tr[data-key="${key.slice(0, 11)}"]`);
    await row.locator('text=Revoke').click();
    await expect(row).toHaveClass(/revoked/);
    expect((await post()).status()).toBe(401);

    // The audit log names who did each of these, newest first.
    const audit = page.locator('[data-audit]');
    await audit.getByRole('button', { name: 'Refresh' }).click();
    const rows = audit.locator('tbody tr');
    await expect(rows.first()).toHaveAttribute('data-action', 'key.revoke');
    await expect(rows.nth(1)).toHaveAttribute('data-action', 'key.create');
    await expect(rows.nth(1)).toContainText('name=e2e-key');
    await expect(audit.locator(`tr[data-action="user.create"]`).filter({ hasText: email })).toHaveCount(1);
    await expect(audit).not.toContainText(key);
  });
});

test('a skip link is the first stop for a keyboard and leads past the header', async ({ page }) => {
  await page.goto('/costs');
  await waitLive(page);
  // From the top of the document (as after a load without autofocus).
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Tab');
  // (The document itself may not have the window's focus in a headless
  // browser, so the active element is read rather than `toBeFocused`.)
  const active = () => page.evaluate(() => document.activeElement?.className ?? '');
  await expect.poll(active).toBe('skip-link');
  await expect(page.locator('a.skip-link')).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect.poll(active).toBe('main');
  // The next Tab lands inside the page, past the header's links.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => !!document.activeElement?.closest('main'))).toBe(true);
});
