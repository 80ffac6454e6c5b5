import { expect, test } from '@playwright/test';
import { SERVERS } from '../playwright.config';
import { post, uniq, waitLive } from './helpers';

// Two pipelines with different stages sending to one Flowmeter (a chat bot
// and a RAG agent): the picker lays out one at a time, the URL keeps the
// choice, and live events of the other pipeline stay off its canvas.

test('the pipeline picker separates two pipelines on the canvas and in the replay list, and the URL keeps it', async ({ page, request }) => {
  const [bot, rag] = [uniq('bot'), uniq('rag')];
  const stages = { bot: [uniq('buffer'), uniq('reply')], rag: [uniq('retrieve'), uniq('answer')] };
  const at = Date.now() - 60_000;
  await post(request, SERVERS.live, [
    ...stages.bot.map((stage, i) => ({ chatId: `${bot}-chat`, turnId: 't1', stage, pipeline: bot, ts: new Date(at + i).toISOString() })),
    ...stages.rag.map((stage, i) => ({ chatId: `${rag}-chat`, turnId: 't1', stage, pipeline: rag, ts: new Date(at + i).toISOString() })),
  ]);
  const node = (stage: string) => page.locator(`svg.flow:visible g.node[data-stage="${stage}"]`);

  await page.goto('/');
  await waitLive(page);
  for (const s of [...stages.bot, ...stages.rag]) await expect(node(s)).toHaveCount(1);

  await page.selectOption('select[data-pipeline-picker]', rag);
  await expect(page).toHaveURL(new RegExp(`\\?pipeline=${rag}$`));
  for (const s of stages.rag) await expect(node(s)).toHaveCount(1);
  for (const s of stages.bot) await expect(node(s)).toHaveCount(0);
  await expect(page.locator('svg.flow:visible g.node')).toHaveCount(2);

  // Live: the picked pipeline's new stage appears, the other's does not.
  const [later, other] = [uniq('rerank'), uniq('typing')];
  await post(request, SERVERS.live, { chatId: `${bot}-chat`, turnId: 't2', stage: other, pipeline: bot });
  await post(request, SERVERS.live, { chatId: `${rag}-chat`, turnId: 't2', stage: later, pipeline: rag });
  await expect(node(later)).toHaveCount(1);
  await expect(node(other)).toHaveCount(0);

  // A reload keeps the choice.
  await page.reload();
  await waitLive(page);
  await expect(page.locator('select[data-pipeline-picker]')).toHaveValue(rag);
  await expect(page.locator('svg.flow:visible g.node')).toHaveCount(3);

  // Back to all of them.
  await page.selectOption('select[data-pipeline-picker]', '');
  await expect(page).toHaveURL(`${SERVERS.live}/`);
  await expect(node(other)).toHaveCount(1);

  // The replay list, one pipeline at a time.
  await page.goto(`/replay?pipeline=${bot}`);
  await expect(page.locator(`tr.conversation[data-chat="${bot}-chat"]`)).toHaveCount(1);
  await expect(page.locator(`tr.conversation[data-chat="${rag}-chat"]`)).toHaveCount(0);
  await page.selectOption('select[data-pipeline-picker]', rag);
  await expect(page).toHaveURL(new RegExp(`/replay\\?pipeline=${rag}$`));
  await expect(page.locator(`tr.conversation[data-chat="${rag}-chat"]`)).toHaveCount(1);
  await expect(page.locator(`tr.conversation[data-chat="${bot}-chat"]`)).toHaveCount(0);
  // A search keeps the picked pipeline.
  await page.fill('input[aria-label="Search chat id"]', rag);
  await page.click('button:text("Search")');
  await expect(page).toHaveURL(new RegExp(`pipeline=${rag}`));
  await expect(page).toHaveURL(new RegExp(`q=${rag}`));
  await expect(page.locator(`tr.conversation[data-chat="${rag}-chat"]`)).toHaveCount(1);
});

test('the cost monitor and its budgets, one pipeline at a time', async ({ page, request }) => {
  const [a, b] = [uniq('pa'), uniq('pb')];
  // 1 M input tokens of gpt-4o-mini: $0.15 each.
  const spend = (pipeline: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      chatId: `${pipeline}-chat`, turnId: `t${i}`, stage: 'response', pipeline,
      model: 'gpt-4o-mini', usage: { inputTokens: 1_000_000, outputTokens: 0 },
    }));
  await post(request, SERVERS.live, [...spend(a, 1), ...spend(b, 2)]);
  const total = page.locator('[data-figure=total] .figure');

  await page.goto(`/costs?range=1h&pipeline=${a}`);
  await waitLive(page);
  await expect(total).toHaveAttribute('data-nanos', '150000000');
  await expect(page.locator('select[data-pipeline-picker]')).toHaveValue(a);
  await page.selectOption('select[data-pipeline-picker]', b);
  await expect(page).toHaveURL(new RegExp(`/costs\\?range=1h&pipeline=${b}$`));
  await expect(total).toHaveAttribute('data-nanos', '300000000');
  // Live: the picked pipeline's spend moves the figure, the other's not.
  await post(request, SERVERS.live, spend(a, 1));
  await post(request, SERVERS.live, spend(b, 1));
  await expect(total).toHaveAttribute('data-nanos', '450000000');

  // A budget for one pipeline.
  const name = uniq('pipeline-budget');
  await page.fill('input[aria-label="Budget name"]', name);
  await page.selectOption('select[aria-label="Scope"]', 'pipeline');
  await page.fill('input[aria-label="Model, persona, tenant or pipeline"]', b);
  await page.fill('input[aria-label="Limit in USD"]', '1');
  await page.click('text=Add budget');
  const gauge = page.locator(`.gauge[data-budget="${name}"]`);
  await expect(gauge).toContainText(`pipeline ${b}`);
  await expect(gauge.locator('[role=meter]')).toHaveAttribute('aria-valuenow', '45.0');
});
