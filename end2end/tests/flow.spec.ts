import { expect, test } from '@playwright/test';
import { post, uniq, waitLive } from './helpers';
import { SERVERS } from '../playwright.config';

const live = SERVERS.live;

test('a posted event lights its node with its status and adds a log row', async ({ page, request }) => {
  const chat = uniq('chat');
  const stage = uniq('stage');
  await page.goto('/');
  await waitLive(page);

  const [okId] = await post(request, live, { chatId: chat, turnId: 't1', stage, durationMs: 120, persona: 'sage', model: 'gpt-4o' });
  const node = page.locator(`svg.flow:visible g.node[data-stage="${stage}"]`);
  await expect(node).toHaveAttribute('data-status', 'success');
  await expect(node.locator('.pulse')).toHaveAttribute('data-event', String(okId));
  await expect(node.locator('.badge-text')).toHaveText('success');

  const row = page.locator(`tr.row[data-id="${okId}"]`);
  await expect(row).toBeVisible();
  await expect(row).toHaveClass(/status-success/);
  await expect(row.locator('.c-chat')).toHaveText(chat);
  await expect(row.locator('.c-model')).toHaveText('gpt-4o');
  await expect(row.locator('.c-dur')).toHaveText('120 ms');

  // The same stage failing turns the node red, and the newest row is on top.
  const [errId] = await post(request, live, { chatId: chat, turnId: 't1', stage, status: 'error', error: 'boom' });
  await expect(node).toHaveAttribute('data-status', 'error');
  await expect(node.locator('.pulse')).toHaveAttribute('data-event', String(errId));
  await expect(page.locator('tr.row').first()).toHaveAttribute('data-id', String(errId));
  await expect(page.locator('tr.row').first()).toHaveClass(/status-error/);
});

test('transitions within a turn become edges, drawn from the data', async ({ page, request }) => {
  const chat = uniq('chat');
  const [a, b] = [uniq('fetch'), uniq('plan')];
  await page.goto('/');
  await waitLive(page);
  await post(request, live, [
    { chatId: chat, turnId: 't1', stage: a },
    { chatId: chat, turnId: 't1', stage: b },
  ]);
  await expect(page.locator(`svg.flow:visible path.edge[data-from="${a}"][data-to="${b}"]`)).toHaveCount(1);
});

test('user data is rendered as text, never as markup', async ({ page, request }) => {
  const chat = uniq('<b>chat</b>');
  const stage = '<script>window.__pwned=1</script>';
  await post(request, live, { chatId: chat, stage });
  await page.goto('/');
  await waitLive(page);
  await expect(page.locator('tr.row').filter({ hasText: chat }).first().locator('.c-stage')).toHaveText(stage);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator('tr.row b').count()).toBe(0);
});

test('clicking a stage filters the log to it', async ({ page, request }) => {
  const chat = uniq('chat');
  const stage = uniq('filter');
  await post(request, live, [
    { chatId: chat, turnId: 't', stage },
    { chatId: chat, turnId: 't', stage: 'other-stage' },
  ]);
  await page.goto('/');
  await waitLive(page);
  await page.locator(`svg.flow:visible g.node[data-stage="${stage}"]`).click();
  await expect(page.locator('.chip')).toContainText(stage);
  const stages = await page.locator('tr.row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-stage')));
  expect(stages.length).toBeGreaterThan(0);
  expect(new Set(stages)).toEqual(new Set([stage]));
  await page.locator('.chip').click();
  await expect(page.locator('.chip')).toHaveCount(0);
});

test('the page fits a phone without sideways scrolling', async ({ page }) => {
  await page.goto('/');
  await waitLive(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});

test('the live sessions panel moves with the stream, without a reload', async ({ page, request }) => {
  const chat = uniq('live');
  await page.goto('/');
  await waitLive(page);
  await page.evaluate(() => ((window as any).__samePage = true));
  const row = page.locator(`.sessions-panel tr[data-session="${chat}"]`);
  await expect(row).toHaveCount(0);
  await post(request, live, { chatId: chat, turnId: 't1', stage: 'intent', tenant: 'acme', persona: 'sage', model: 'gpt-4o' });
  await expect(row).toBeVisible();
  await expect(row.locator('[data-stage]')).toHaveAttribute('data-stage', 'intent');
  await expect(row.locator('[data-turns]')).toHaveAttribute('data-turns', '1');
  await post(request, live, { chatId: chat, turnId: 't2', stage: 'response', status: 'running' });
  await expect(row.locator('[data-stage]')).toHaveAttribute('data-stage', 'response');
  await expect(row.locator('[data-turns]')).toHaveAttribute('data-turns', '2');
  await expect(page.locator('.sessions-panel tbody tr').first()).toHaveAttribute('data-session', chat);
  // A row opens the replay.
  expect(await page.evaluate(() => (window as any).__samePage)).toBe(true);
  await row.getByRole('link', { name: chat }).click();
  await expect(page).toHaveURL(new RegExp(`/replay/${chat}$`));
});

test('the stream opened before the WASM keeps what arrives meanwhile, and the page adopts it', async ({ page, request }) => {
  type Early = { es: EventSource; queue: MessageEvent[] | null } | undefined;
  const streams: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/telemetry/stream')) streams.push(r.url());
  });
  // The main module is held back until an event has reached the early stream.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/pkg/flowmeter.wasm', async (route) => {
    await held;
    await route.continue();
  });
  // Not waiting for `load`: the held module delays it.
  await page.goto('/', { waitUntil: 'commit' });
  await page.waitForFunction(() => (window as unknown as { flowmeterStream: Early }).flowmeterStream?.es.readyState === 1);
  const chat = uniq('early');
  const [id] = await post(request, live, { chatId: chat, turnId: 't1', stage: uniq('early') });
  await page.waitForFunction(
    (n) => (window as unknown as { flowmeterStream: Early }).flowmeterStream?.queue?.some((e) => e.lastEventId === String(n)),
    id,
  );
  await expect(page.locator(`tr.row[data-id="${id}"]`)).toHaveCount(0);
  release();
  await waitLive(page);
  await expect(page.locator(`tr.row[data-id="${id}"]`)).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { flowmeterStream: Early }).flowmeterStream)).toBeUndefined();
  expect(streams, 'one stream: the early one, adopted').toHaveLength(1);
  expect(streams[0]).toMatch(/\/api\/telemetry\/stream\?after=\d+$/);
});

test('a live event adds its row and node; the rows and nodes already drawn stay the same elements', async ({ page, request }) => {
  const chat = uniq('keyed');
  const [first, second] = [uniq('kept'), uniq('added')];
  const [firstId] = await post(request, live, { chatId: chat, turnId: 't1', stage: first });
  await page.goto('/');
  await waitLive(page);
  const row = page.locator(`tr.row[data-id="${firstId}"]`);
  const node = page.locator(`svg.flow:visible g.node[data-stage="${first}"]`);
  await expect(row).toBeVisible();
  await expect(node).toBeVisible();
  // Marks on the DOM elements themselves: a list that rebuilt or reused
  // rows by position would lose them or move them to another row.
  await row.evaluate((el) => ((el as any).__kept = true));
  await node.evaluate((el) => ((el as any).__kept = true));
  const [secondId] = await post(request, live, { chatId: chat, turnId: 't1', stage: second });
  const added = page.locator(`tr.row[data-id="${secondId}"]`);
  await expect(added).toBeVisible();
  await expect(page.locator(`svg.flow:visible g.node[data-stage="${second}"]`)).toBeVisible();
  expect(await row.evaluate((el) => (el as any).__kept)).toBe(true);
  expect(await node.evaluate((el) => (el as any).__kept)).toBe(true);
  expect(await added.evaluate((el) => (el as any).__kept)).toBeUndefined();
});
