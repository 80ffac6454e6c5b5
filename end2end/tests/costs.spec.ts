import { expect, Page, test } from '@playwright/test';
import { post, uniq, waitLive } from './helpers';
import { SERVERS } from '../playwright.config';

const live = SERVERS.live;
const HOUR = 3_600_000;

// gpt-4o is $2.50 / M input and $10 / M output: 1M in + 100k out = $3.50.
const priced = (chat: string, ts: number) => ({
  chatId: chat,
  turnId: 't1',
  stage: 'response',
  ts: new Date(ts).toISOString(),
  durationMs: 900,
  persona: 'sage',
  model: 'gpt-4o',
  provider: 'openai',
  usage: { inputTokens: 1_000_000, outputTokens: 100_000 },
});

/** A past hour of its own per project, so the two projects never share totals. */
function seededWindow(project: string): [number, number] {
  const days = project === 'mobile' ? 4 : 3;
  const now = Date.now();
  const from = now - (now % HOUR) - days * 24 * HOUR;
  return [from, from + HOUR];
}

/** Series values of the ECharts instance drawn into `#id`. */
async function chartData(page: Page, id: string): Promise<number[]> {
  return page.evaluate((id) => {
    const inst = (window as any).echarts.getInstanceByDom(document.getElementById(id));
    return inst ? inst.getOption().series.flatMap((s: any) => s.data ?? []) : [];
  }, id);
}

test('the cost page shows the seeded totals', async ({ page, request }, info) => {
  const [from, to] = seededWindow(info.project.name);
  const chat = uniq('cost');
  await post(request, live, [priced(chat, from + 60_000), priced(chat, from + 120_000)]);

  await page.goto(`/costs?from=${from}&to=${to}`);
  await expect(page.locator('[data-figure=total] .figure')).toHaveText('$7.00');
  await expect(page.locator('[data-figure=per-turn] .figure')).toHaveText('$7.00');
  await expect(page.locator('[data-figure=per-hour] .figure')).toHaveText('$7.00');
  await expect(page.locator('[data-figure=per-turn] .sub')).toHaveText('1 turns');
  const row = page.locator('table.models tr[data-model="gpt-4o"]');
  await expect(row.locator('[data-cost]')).toHaveText('$7.00');
  await expect(row.locator('[data-per-turn]')).toHaveAttribute('data-per-turn', '7000000000');
  await expect(page.locator(`tr.op[data-chat="${chat}"] [data-cost]`)).toHaveAttribute('data-cost', '7000000000');
  // The window is custom and in the past: no live ticking into it.
  await expect(page.locator('.seg[aria-pressed=true]')).toHaveCount(0);
});

test('charts exist and update in place when an event is posted', async ({ page, request }) => {
  await page.goto('/costs?range=1h');
  await waitLive(page);
  for (const id of ['chart-cost-time', 'chart-cost-model', 'chart-tokens-model', 'chart-cost-persona', 'chart-cost-stage']) {
    await expect(page.locator(`#${id} canvas`)).toHaveCount(1);
  }
  const ticker = page.locator('[data-ticker]');
  const before = (await ticker.textContent()) ?? '';
  const sum = async () => (await chartData(page, 'chart-cost-model')).reduce((a, b) => a + Number(b), 0);
  const sumBefore = await sum();
  // Marks the instance: an update in place keeps it; a re-create would not.
  await page.evaluate(() => {
    (window as any).echarts.getInstanceByDom(document.getElementById('chart-cost-model')).__e2e = 'kept';
  });

  await post(request, live, priced(uniq('live'), Date.now()));
  await expect.poll(sum).toBeCloseTo(sumBefore + 3.5, 6);
  await expect(ticker).not.toHaveText(before);
  const kept = await page.evaluate(
    () => (window as any).echarts.getInstanceByDom(document.getElementById('chart-cost-model')).__e2e,
  );
  expect(kept).toBe('kept');
});

test('the cost monitor\'s stream starts with the latest events, not the whole store', async ({ page }) => {
  // Only the flow page renders events to resume after; `after=0` from any
  // other page made the server send every stored event into it, which
  // kept a phone's only thread busy until the page stopped answering.
  const stream = page.waitForRequest((r) => r.url().includes('/api/telemetry/stream'));
  const resp = await page.goto('/costs?range=1h');
  expect(resp!.status()).toBe(200);
  expect(new URL((await stream).url()).searchParams.get('after')).toBeNull();
  await waitLive(page);
});

test('changing the range updates the URL and the figures without a reload', async ({ page, request }, info) => {
  const [from, to] = seededWindow(info.project.name);
  // An odd amount, so the 24 h total cannot equal the seeded $7.00 by chance.
  await post(request, live, { ...priced(uniq('now'), Date.now()), usage: { inputTokens: 123_457, outputTokens: 1 } });
  await page.goto(`/costs?from=${from}&to=${to}`);
  await waitLive(page);
  const total = page.locator('[data-figure=total] .figure');
  await expect(total).toHaveAttribute('data-nanos', /^\d+$/);
  const seeded = await total.getAttribute('data-nanos');
  await page.evaluate(() => ((window as any).__samePage = true));

  await page.click('.seg[data-range="24h"]');
  await expect(page).toHaveURL(/\/costs\?range=24h$/);
  await expect(page.locator('.seg[data-range="24h"]')).toHaveAttribute('aria-pressed', 'true');
  const rest = await (await request.get(`${live}/api/telemetry/summary?range=24h`)).json();
  await expect(total).toHaveAttribute('data-nanos', String(rest.cost.totalNanos));
  expect(String(rest.cost.totalNanos)).not.toBe(seeded);
  expect(await page.evaluate(() => (window as any).__samePage)).toBe(true);
});

test('an admin sets a budget and sees it as a gauge', async ({ page }) => {
  await page.goto('/costs?range=24h');
  await waitLive(page);
  const name = uniq('budget');
  await page.fill('input[aria-label="Budget name"]', name);
  await page.fill('input[aria-label="Limit in USD"]', '1000000');
  await page.click('text=Add budget');
  const gauge = page.locator(`.gauge[data-budget="${name}"]`);
  await expect(gauge).toHaveAttribute('data-level', 'ok');
  await expect(gauge.locator('[role=meter]')).toHaveAttribute('aria-valuenow', /^\d+(\.\d)?$/);
});

test('an admin adds a Telegram rule with a severity, and turns it off', async ({ page }) => {
  await page.goto('/costs?range=24h');
  await waitLive(page);
  // The brief's default rules are there from the start, off.
  await expect(page.locator('.rule-list li[data-rule="High error rate"]')).toHaveAttribute('data-enabled', /on|off/);
  const name = uniq('quiet');
  await page.fill('input[aria-label="Rule name"]', name);
  await page.selectOption('select[aria-label="Rule kind"]', 'no_events');
  await page.selectOption('select[aria-label="Severity"]', 'critical');
  await page.fill('input[aria-label="Threshold"]', '10080');
  await page.selectOption('select[aria-label="Rule alert channel"]', 'telegram');
  await page.fill('input[aria-label="Rule Telegram bot token"]', '123456:e2e-token');
  await page.fill('input[aria-label="Rule Telegram chat id"]', '-100123');
  await page.click('text=Add rule');
  const rule = page.locator(`.rule-list li[data-rule="${name}"]`);
  await expect(rule).toHaveAttribute('data-enabled', 'on');
  await expect(rule.locator('.severity')).toHaveText('critical');
  await expect(rule).toContainText('no events for ≥ 10080 min');
  await expect(rule).toContainText('Telegram · on');
  await rule.getByRole('button', { name: `Turn off rule ${name}` }).click();
  await expect(rule).toHaveAttribute('data-enabled', 'off');
  await rule.getByRole('button', { name: `Delete rule ${name}` }).click();
  await expect(rule).toHaveCount(0);
});

test('cost by tenant narrows the page to one tenant, kept in the URL', async ({ page, request }, info) => {
  // Two tenants in a past hour of this project's own (1 M in + 100 k out of gpt-4o: $3.50 each).
  const [from] = seededWindow(info.project.name);
  const at = from + 2 * 24 * HOUR + 10 * 60_000;
  const a = uniq('tenant-a');
  const b = uniq('tenant-b');
  await post(request, live, [
    { ...priced(uniq('ta'), at), tenant: a },
    { ...priced(uniq('ta'), at + 1000), tenant: a },
    { ...priced(uniq('tb'), at + 2000), tenant: b },
  ]);
  await page.goto(`/costs?from=${at - 60_000}&to=${at + 60_000}`);
  await waitLive(page);
  const rowA = page.locator(`table.tenants tr[data-tenant="${a}"]`);
  await expect(rowA.locator('[data-cost]')).toHaveAttribute('data-cost', '7000000000');
  await expect(rowA.locator('[data-share]')).toHaveText('66.7 %');
  await rowA.getByRole('link', { name: a }).click();
  await expect(page).toHaveURL(new RegExp(`tenant=${a}`));
  await expect(page.locator('.tenant-filter')).toHaveAttribute('data-tenant', a);
  await expect(page.locator('[data-figure=total] .figure')).toHaveAttribute('data-nanos', '7000000000');
  await expect(page.locator(`table.tenants tr[data-tenant="${b}"]`)).toHaveCount(0);
  // A reload keeps the choice; "All tenants" widens it again.
  await page.reload();
  await expect(page.locator('[data-figure=total] .figure')).toHaveAttribute('data-nanos', '7000000000');
  await page.getByRole('link', { name: 'All tenants' }).click();
  await expect(page).not.toHaveURL(/tenant=/);
  await expect(page.locator('[data-figure=total] .figure')).toHaveAttribute('data-nanos', '10500000000');
});

test('the live ticker counts active sessions beside today\'s spend', async ({ page, request }) => {
  await page.goto('/costs?range=24h');
  await waitLive(page);
  const chat = uniq('ticker');
  const count = page.locator('.ticker [data-active-sessions]');
  await expect(count).toHaveAttribute('data-active-sessions', /^\d+$/);
  await post(request, live, { ...priced(chat, Date.now()) });
  await expect(page.locator(`.sessions-panel tr[data-session="${chat}"]`)).toBeVisible();
  // The ticker and the panel count the same sessions.
  await expect(async () => {
    const rows = await page.locator('.sessions-panel tbody tr').count();
    expect(rows).toBeGreaterThan(0);
    expect(await count.getAttribute('data-active-sessions')).toBe(String(rows));
  }).toPass();
});

test('the tools table counts a tool\'s calls live', async ({ page, request }) => {
  await page.goto('/costs?range=1h');
  await waitLive(page);
  const tool = uniq('tool');
  const call = (status: string) => ({ chatId: uniq('tc'), stage: 'tools', status, durationMs: 300, meta: { tool } });
  await post(request, live, call('success'));
  const row = page.locator(`table.tools tr[data-tool="${tool}"]`);
  await expect(row.locator('[data-calls]')).toHaveAttribute('data-calls', '1');
  await post(request, live, call('error'));
  await expect(row.locator('[data-calls]')).toHaveAttribute('data-calls', '2');
  await expect(row).toContainText('50.0 %');
});

test('a background export runs to a download link', async ({ page }) => {
  await page.goto('/costs?range=1h');
  await waitLive(page);
  const before = await page.locator('.job-list .job').count();
  await page.click('[data-export-job="csv"]');
  await expect(page.locator('.job-list .job')).toHaveCount(before + 1);
  const job = page.locator('.job-list .job').first();
  await expect(job).toHaveAttribute('data-status', 'done');
  await expect(job.locator('progress')).toHaveAttribute('value', '100');
  const href = await job.getByRole('link', { name: 'Download' }).getAttribute('href');
  const resp = await page.request.get(href!);
  expect(resp.status()).toBe(200);
  expect(await resp.text()).toMatch(/^id,ts,chat_id,/);
});
