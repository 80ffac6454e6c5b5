import { expect, test } from '@playwright/test';
import { post, uniq, waitLive } from './helpers';
import { CLUSTER } from '../playwright.config';

// The browser talks to nginx, which balances its page loads and its event
// stream across two replicas; events go straight to one replica or the
// other. Every one of them must light the canvas, once.
test('through nginx, events posted to either replica light the canvas, and a reload misses none', async ({ page, request }) => {
  test.skip(!CLUSTER, 'needs Postgres and Redis (scripts/test.sh starts them)');
  test.skip(test.info().project.name !== 'desktop', 'one browser is enough');
  const { balancer, replicas } = CLUSTER!;
  const chat = uniq('cluster');
  const stages = [uniq('on-a'), uniq('on-b')];
  await page.goto(`${balancer}/`);
  await waitLive(page);

  const ids: number[] = [];
  for (const [i, replica] of replicas.entries()) {
    const [id] = await post(request, replica, { chatId: chat, turnId: 't1', stage: stages[i] });
    ids.push(id);
    const node = page.locator(`svg.flow:visible g.node[data-stage="${stages[i]}"]`);
    await expect(node.locator('.pulse')).toHaveAttribute('data-event', String(id));
  }

  // Events posted while the page reloads (likely onto the other replica)
  // arrive too, each exactly once.
  const [, during] = await Promise.all([
    page.reload(),
    post(request, replicas[0], { chatId: chat, turnId: 't2', stage: stages[0] }),
  ]);
  await waitLive(page);
  const [after] = await post(request, replicas[1], { chatId: chat, turnId: 't2', stage: stages[1] });
  for (const id of [...ids, ...during, after]) {
    await expect(page.locator(`tr.row[data-id="${id}"]`)).toHaveCount(1);
  }
});
