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

/** Waits until the page is hydrated and its event stream is open. */
export async function waitLive(page: Page) {
  await expect(page.locator('.conn')).toHaveAttribute('data-state', 'live');
}
