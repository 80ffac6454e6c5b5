import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { KEY, SERVERS } from '../playwright.config';
import { conversation, post, waitLive } from './helpers';

// Each screenshot project has its own server with a fresh database: first it
// shows the empty state, then it is seeded once with the simulator's
// fixed-seed traffic (same seed → same turns, stages, statuses, durations).
test.describe.configure({ mode: 'serial' });

const base = (project: string) => (project === 'mobile' ? SERVERS.snapMobile : SERVERS.snapDesktop);

test('an empty dashboard says how to send the first event', async ({ page }, info) => {
  await page.goto(`${base(info.project.name)}/`);
  await expect(page.locator('.empty-title')).toHaveText('No events yet');
  await expect(page.locator('.canvas-panel pre.code')).toContainText('/api/events');
  await expect(page.locator('.log-panel .empty')).toBeVisible();
  await expect(page.locator('.card[data-card="errors"] .figure')).toHaveText('—');
});

test('flow canvas snapshot', async ({ page }, info) => {
  const bin = path.resolve(__dirname, '../../target/debug/server');
  execFileSync(bin, ['simulate', '--seed', '7', '--turns', '24', '--burst', '--base-url', base(info.project.name), '--api-key', KEY], {
    stdio: 'inherit',
  });
  await page.goto(`${base(info.project.name)}/`);
  await waitLive(page);
  const canvas = page.locator('.canvas-panel');
  await expect(canvas.locator('svg.flow:visible g.node')).toHaveCount(6);
  await expect(canvas).toHaveScreenshot('flow-canvas.png');
  // Each snapshot is taken in both themes (dark is the projects' default).
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(canvas).toHaveScreenshot('flow-canvas-light.png');
  await page.emulateMedia({ colorScheme: 'dark' });
  // The live sessions, right after the seed (its conversations stay live
  // for five minutes, far longer than this takes). Their order follows
  // arrival times, which differ run to run: checked by content, not pixels.
  const sessions = page.locator('.sessions-panel');
  const rows = sessions.locator('tbody tr');
  await expect(rows).not.toHaveCount(0);
  await expect(sessions).toContainText(`${await rows.count()} active now`);
  await expect(sessions.locator('thead th')).toHaveText(['Chat', 'Tenant', 'Persona', 'Model', 'Stage', 'Started', 'Turns', 'Cost']);
});

test('cost monitor snapshot', async ({ page }, info) => {
  // Seeded by the flow canvas snapshot above: same seed, same spend. What
  // depends on the clock (today's ticker, the time axis, start times) is masked.
  await page.goto(`${base(info.project.name)}/costs?range=24h`);
  await waitLive(page);
  await expect(page.locator('[data-figure=total] .figure')).not.toHaveText('$0.00');
  for (const id of ['chart-cost-model', 'chart-tokens-model', 'chart-cost-persona', 'chart-cost-stage']) {
    await expect(page.locator(`#${id} canvas`)).toHaveCount(1);
  }
  const options = {
    fullPage: true,
    mask: [page.locator('.ticker'), page.locator('#chart-cost-time'), page.locator('table.ops td:first-child'), page.locator('[data-figure=projected]')],
    // Live sessions expire five minutes after the seed: left out (see the file).
    stylePath: path.join(__dirname, 'snapshot-clock.css'),
  };
  await expect(page).toHaveScreenshot('costs.png', options);
  await page.emulateMedia({ colorScheme: 'light' });
  // The charts redraw with the light scheme's text colour.
  for (const id of ['chart-cost-model', 'chart-tokens-model', 'chart-cost-persona', 'chart-cost-stage']) {
    await expect(page.locator(`#${id}`)).toHaveAttribute('data-scheme', 'light');
  }
  await expect(page).toHaveScreenshot('costs-light.png', options);
});

test('replay snapshot', async ({ page, request }, info) => {
  // A fixed conversation (same stages, offsets, durations and tokens each
  // run), opened at its sixth step; only the wall-clock times are masked.
  await post(request, base(info.project.name), conversation('replay-snapshot', Date.now() - 60_000));
  await page.goto(`${base(info.project.name)}/replay/replay-snapshot?step=6`);
  await waitLive(page);
  await expect(page.locator('[data-step-count]')).toHaveText('6 / 11');
  const options = {
    fullPage: true,
    mask: [page.locator('[data-head=started]'), page.locator('[data-detail=ts]'), page.locator('[data-detail=id]')],
  };
  await expect(page).toHaveScreenshot('replay.png', options);
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(page).toHaveScreenshot('replay-light.png', options);
});
