import { APIRequestContext, expect, Page } from '@playwright/test';
import { KEY } from '../playwright.config';

export type Ev = Record<string, unknown>;

/** Posts events through the real ingest API and returns their ids. */
export async function post(request: APIRequestContext, baseURL: string, events: Ev | Ev[]): Promise<number[]> {
  const resp = await request.post(`${baseURL}/api/events`, {
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    data: events,
  });
  expect(resp.status(), await resp.text()).toBe(202);
  return (await resp.json()).ids;
}

/** A run-unique id, so tests on the shared live server never collide. */
export function uniq(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * Waits until the page is hydrated and its event stream is open. When it
 * is not, says why the page thinks so: its errors and console since it
 * loaded, and the scripts, modules and streams it fetched, with statuses.
 */
export async function waitLive(page: Page) {
  try {
    await expect(page.locator('.conn')).toHaveAttribute('data-state', 'live');
  } catch (e) {
    const errors = (await page.pageErrors({ filter: 'since-navigation' })).map((err) => `error: ${err.stack ?? err}`);
    const logged = (await page.consoleMessages({ filter: 'since-navigation' })).map((m) => `${m.type()}: ${m.text()}`);
    const fetched = await page.evaluate(() =>
      (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        .filter((r) => /\/api\/|\.wasm|\.js/.test(r.name))
        .map((r) => `${r.responseStatus} ${r.name} at ${Math.round(r.startTime)} ms, ${Math.round(r.duration)} ms`),
    );
    throw new Error(`${(e as Error).message}\n\nThe page's errors and console:\n${[...errors, ...logged].join('\n') || '(none)'}` +
      `\n\nWhat it fetched (a stream still open is not listed):\n${fetched.join('\n')}`);
  }
}

/** The stages of `conversation()`, in replay order. */
export const CONVERSATION_STAGES = [
  'buffer', 'intent', 'persona', 'tools', 'tools', 'response', 'send',
  'buffer', 'intent', 'response', 'send',
];

/**
 * A two-turn conversation with fixed offsets, durations, models, tokens and
 * meta: the same replay every time. The first `tools` call fails and is
 * retried. `start` is its first event's time (ms).
 */
export function conversation(chat: string, start: number): Ev[] {
  const at = (ms: number) => new Date(start + ms).toISOString();
  const e = (turnId: string, stage: string, ms: number, durationMs: number, extra: Ev = {}) => ({
    chatId: chat, turnId, stage, ts: at(ms), durationMs, persona: 'sage', ...extra,
  });
  return [
    e('t1', 'buffer', 0, 20),
    e('t1', 'intent', 40, 310, { model: 'gpt-4o-mini', provider: 'openai', usage: { inputTokens: 820, outputTokens: 12 } }),
    e('t1', 'persona', 360, 45),
    e('t1', 'tools', 420, 900, { status: 'error', error: 'calendar API timed out after 900 ms', meta: { tool: 'calendar', attempt: 1 } }),
    e('t1', 'tools', 1_400, 600, { meta: { tool: 'calendar', attempt: 2 } }),
    e('t1', 'response', 2_050, 1_500, {
      model: 'gpt-4o', provider: 'openai', usage: { inputTokens: 2_400, outputTokens: 310, cachedInputTokens: 1_024 },
      meta: { finish: 'stop', temperature: 0.3 },
    }),
    e('t1', 'send', 3_600, 35),
    e('t2', 'buffer', 8_000, 15),
    e('t2', 'intent', 8_030, 280, { model: 'gpt-4o-mini', provider: 'openai', usage: { inputTokens: 900, outputTokens: 10 } }),
    e('t2', 'response', 8_330, 1_200, { model: 'gpt-4o', provider: 'openai', usage: { inputTokens: 2_900, outputTokens: 240 } }),
    e('t2', 'send', 9_560, 30),
  ];
}
