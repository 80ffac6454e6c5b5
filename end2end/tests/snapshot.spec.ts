import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { KEY, PORTS } from '../playwright.config';

// Each screenshot project has its own server with a fresh database, seeded
// here once with the simulator's fixed-seed traffic (same seed → same turns,
// stages, statuses and durations).
test.describe.configure({ mode: 'serial' });

const base = (project: string) =>
  `http://127.0.0.1:${project === 'mobile' ? PORTS.snapMobile : PORTS.snapDesktop}`;

test.beforeAll(async ({}, info) => {
  const bin = path.resolve(__dirname, '../../target/debug/server');
  execFileSync(bin, ['simulate', '--seed', '7', '--turns', '24', '--burst', '--base-url', base(info.project.name), '--api-key', KEY], {
    stdio: 'inherit',
  });
});

test('flow canvas snapshot', async ({ page }, info) => {
  await page.goto(`${base(info.project.name)}/`);
  await expect(page.locator('.conn')).toHaveAttribute('data-state', 'live');
  const canvas = page.locator('.canvas-panel');
  await expect(canvas.locator('svg.flow:visible g.node')).toHaveCount(6);
  await expect(canvas).toHaveScreenshot('flow-canvas.png');
});
