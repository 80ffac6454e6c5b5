import { expect, Page, test } from '@playwright/test';
import { conversation, CONVERSATION_STAGES, post, uniq, waitLive } from './helpers';
import { SERVERS } from '../playwright.config';

const live = SERVERS.live;
const N = CONVERSATION_STAGES.length;

async function seeded(request: Parameters<typeof post>[0]): Promise<string> {
  const chat = uniq('replay');
  await post(request, live, conversation(chat, Date.now() - 120_000));
  return chat;
}

const current = (page: Page) => page.locator('svg.flow:visible g.node.current');
const count = (page: Page) => page.locator('[data-step-count]');

async function openReplay(page: Page, chat: string, query = '') {
  await page.goto(`/replay/${chat}${query}`);
  await waitLive(page);
  await expect(page.locator('.step')).toHaveCount(N);
  // On a phone the canvas is folded away until asked for.
  const toggle = page.locator('.canvas-toggle');
  if (await toggle.isVisible()) await toggle.click();
}

test('the list shows the latest conversations and filters them in the URL', async ({ page, request }) => {
  const chat = await seeded(request);
  await page.goto('/replay');
  await waitLive(page);
  const row = page.locator(`tr.conversation[data-chat="${chat}"]`);
  await expect(row).toHaveClass(/status-error/);
  await expect(row.locator('.cv-turns')).toHaveText(/^2( turns)?$/);
  await expect(row.locator('.cv-stages')).toHaveText(new RegExp(`^${N}( stages)?$`));
  await expect(row.locator('.cv-cost')).toHaveAttribute('data-cost', /^[1-9]\d*$/);

  await page.fill('input[name=q]', chat.slice(-5).toUpperCase());
  await page.press('input[name=q]', 'Enter');
  await expect(page).toHaveURL(new RegExp(`q=${chat.slice(-5).toUpperCase()}`));
  await expect(page.locator('tr.conversation')).toHaveCount(1);
  await page.selectOption('select[name=status]', 'success');
  await expect(page).toHaveURL(/status=success/);
  await expect(page.locator('[data-empty]')).toBeVisible();
  await page.selectOption('select[name=status]', 'error');
  await expect(row).toBeVisible();
  await row.locator('.cv-chat a').click();
  await expect(page).toHaveURL(new RegExp(`/replay/${chat}$`));
  await expect(page.locator('h1.chat-title')).toHaveText(chat);
});

test('stepping highlights each stage in order on the canvas and the timeline', async ({ page, request }) => {
  const chat = await seeded(request);
  await openReplay(page, chat);
  for (let i = 0; i < N; i++) {
    await expect(count(page)).toHaveText(`${i + 1} / ${N}`);
    await expect(current(page)).toHaveAttribute('data-stage', CONVERSATION_STAGES[i]);
    await expect(page.locator('.step.current')).toHaveAttribute('data-stage', CONVERSATION_STAGES[i]);
    await expect(page.locator('.step.played')).toHaveCount(i);
    if (i < N - 1) await page.click('button[aria-label="Step forward"]');
  }
  await expect(page.locator('button[aria-label="Step forward"]')).toBeDisabled();
  // The failed tool call left its node red; every edge taken is marked.
  await expect(page.locator('svg.flow:visible g.node[data-stage="tools"]')).toHaveAttribute('data-status', 'success');
  await expect(page.locator('svg.flow:visible path.edge:not(.visited)')).toHaveCount(0);
  await page.click('button[aria-label="Step back"]');
  await expect(current(page)).toHaveAttribute('data-stage', CONVERSATION_STAGES[N - 2]);
  // Back at the failed call: its node is red and the edges ahead are not taken yet.
  await page.locator('input.scrub').fill('3');
  await expect(count(page)).toHaveText(`4 / ${N}`);
  await expect(current(page)).toHaveAttribute('data-status', 'error');
  await expect(page.locator('svg.flow:visible g.node[data-stage="response"]')).toHaveAttribute('data-status', 'pending');
});

test('play runs to the end and stops', async ({ page, request }) => {
  const chat = await seeded(request);
  await openReplay(page, chat);
  await page.click('button[data-speed="5"]');
  await page.click('button[aria-label="Play"]');
  await expect(page.locator('.replay')).toHaveAttribute('data-playing', 'true');
  await expect(count(page)).toHaveText(`${N} / ${N}`, { timeout: 20_000 });
  await expect(page.locator('.replay')).toHaveAttribute('data-playing', 'false');
  await expect(current(page)).toHaveAttribute('data-stage', 'send');
  // Play at the end starts over.
  await page.click('button[aria-label="Play"]');
  await expect(count(page)).not.toHaveText(`${N} / ${N}`);
  await page.click('button[aria-label="Pause"]');
  await expect(page.locator('.replay')).toHaveAttribute('data-playing', 'false');
});

test('keyboard: arrows step, Home and End jump, space plays and pauses', async ({ page, request }) => {
  const chat = await seeded(request);
  await openReplay(page, chat);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(count(page)).toHaveText(`3 / ${N}`);
  await expect(current(page)).toHaveAttribute('data-stage', 'persona');
  await page.keyboard.press('ArrowLeft');
  await expect(count(page)).toHaveText(`2 / ${N}`);
  await page.keyboard.press('End');
  await expect(count(page)).toHaveText(`${N} / ${N}`);
  await page.keyboard.press('Home');
  await expect(count(page)).toHaveText(`1 / ${N}`);
  await page.keyboard.press(' ');
  await expect(page.locator('.replay')).toHaveAttribute('data-playing', 'true');
  await page.keyboard.press(' ');
  await expect(page.locator('.replay')).toHaveAttribute('data-playing', 'false');
});

test('a bar opens its event: model, tokens, cost, error and meta', async ({ page, request }) => {
  const chat = await seeded(request);
  await openReplay(page, chat, '?step=2');
  await expect(count(page)).toHaveText(`2 / ${N}`);
  await page.locator('.step[data-stage="tools"][data-status="error"] .step-hit').click();
  await expect(count(page)).toHaveText(`4 / ${N}`);
  const details = page.locator('[data-details]:visible');
  await expect(details.locator('[data-detail=error]')).toHaveText('calendar API timed out after 900 ms');
  await expect(details.locator('[data-detail=meta]')).toHaveText('{\n  "attempt": 1,\n  "tool": "calendar"\n}');
  await page.locator('.step[data-stage="response"] .step-hit').first().click();
  await expect(details.locator('[data-detail=model]')).toHaveText('gpt-4o (openai)');
  await expect(details.locator('[data-detail=tokens]')).toHaveText('2400 in · 310 out · 1024 cached');
  await expect(details.locator('[data-detail=cost]')).toHaveText(/^\$0\.\d+$/);
});

test('a running conversation grows while open and "follow live" keeps up', async ({ page, request }) => {
  const chat = uniq('growing');
  const now = Date.now();
  await post(request, live, [
    { chatId: chat, turnId: 't1', stage: 'buffer', ts: new Date(now - 2000).toISOString(), durationMs: 10 },
    { chatId: chat, turnId: 't1', stage: 'intent', ts: new Date(now - 1000).toISOString(), status: 'running' },
  ]);
  await page.goto(`/replay/${chat}`);
  await waitLive(page);
  const toggle = page.locator('.canvas-toggle');
  if (await toggle.isVisible()) await toggle.click();
  await expect(page.locator('[data-head=status]')).toHaveText('running');
  await page.check('text=follow live');
  await post(request, live, { chatId: chat, turnId: 't1', stage: 'respond', ts: new Date(now).toISOString(), durationMs: 400 });
  await expect(page.locator('.step')).toHaveCount(3);
  await expect(count(page)).toHaveText('3 / 3');
  await expect(current(page)).toHaveAttribute('data-stage', 'respond');
  await expect(page.locator('svg.flow:visible path.edge[data-from="intent"][data-to="respond"]')).toHaveClass(/visited/);
  // Another chat's events stay out.
  await post(request, live, { chatId: uniq('other'), turnId: 't1', stage: 'elsewhere' });
  await page.waitForTimeout(300);
  await expect(page.locator('.step')).toHaveCount(3);
});

test.describe('viewer', () => {
  test.use({ storageState: '.tmp/viewer.json' });

  test('replays without any cost', async ({ page, request }) => {
    const chat = await seeded(request);
    await page.goto('/replay');
    await expect(page.locator(`tr.conversation[data-chat="${chat}"]`)).toBeVisible();
    await expect(page.locator('.cv-cost')).toHaveCount(0);
    await openReplay(page, chat, '?step=6');
    await expect(page.locator('[data-detail=cost]')).toHaveCount(0);
    await expect(page.locator('[data-head=cost]')).toHaveCount(0);
    await expect(page.locator('body')).not.toContainText('$');
  });
});

test('on a phone: no sideways scrolling, the canvas folds, controls stay in reach', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'mobile', 'phone layout');
  const chat = await seeded(request);
  await page.goto(`/replay/${chat}`);
  await waitLive(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBe(0);
  await expect(page.locator('.replay-canvas .canvas-panel')).toBeHidden();
  await page.click('text=Show the flow');
  await expect(current(page)).toHaveAttribute('data-stage', 'buffer');
  // The transport sits on the bottom edge of the screen, thumb-sized.
  const play = await page.locator('button[aria-label="Play"]').boundingBox();
  expect(play!.y + play!.height).toBeGreaterThan(844 - 200);
  expect(play!.height).toBeGreaterThanOrEqual(44);
  // Tapping a step unfolds its details under it.
  await page.locator('.step[data-stage="persona"] .step-hit').click();
  await expect(page.locator('.step[data-stage="persona"] .step-details')).toBeVisible();
});

test('a 1,000-event conversation loads and steps without freezing', async ({ page, request }, info) => {
  test.skip(info.project.name !== 'desktop', 'measured once');
  const chat = uniq('big');
  const start = Date.now() - 3_600_000;
  const events = Array.from({ length: 1000 }, (_, i) => ({
    chatId: chat, turnId: `t${Math.floor(i / 10)}`, stage: ['buffer', 'intent', 'persona', 'tools', 'response', 'send', 'tools', 'response', 'send', 'buffer'][i % 10],
    ts: new Date(start + i * 700).toISOString(), durationMs: 50 + (i % 7) * 40, model: 'gpt-4o-mini', usage: { inputTokens: 100, outputTokens: 20 },
  }));
  await post(request, live, events);
  const t0 = Date.now();
  await page.goto(`/replay/${chat}`);
  const loaded = Date.now() - t0;
  await waitLive(page);
  const interactive = Date.now() - t0;
  await expect(page.locator('.step')).toHaveCount(1000);
  // 50 steps forward, each waited until painted.
  const perStep = await page.evaluate(async () => {
    const next = document.querySelector('button[aria-label="Step forward"]') as HTMLButtonElement;
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      next.click();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    return { median: times[25], p95: times[47] };
  });
  await expect(count(page)).toHaveText('51 / 1000');
  const jump = await page.evaluate(async () => {
    const t = performance.now();
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'End' }));
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - t;
  });
  await expect(count(page)).toHaveText('1000 / 1000');
  console.log(
    `replay of 1,000 events: HTML loaded in ${loaded} ms, interactive in ${interactive} ms; ` +
      `a step paints in ${perStep.median.toFixed(1)} ms (median, p95 ${perStep.p95.toFixed(1)} ms); jump to the end ${jump.toFixed(1)} ms`,
  );
});
