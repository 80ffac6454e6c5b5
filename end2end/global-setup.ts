import { request } from '@playwright/test';
import { ADMIN, SERVERS, VIEWER } from './playwright.config';

// Signs in once through the real form endpoint and keeps the session
// cookies: `.tmp/admin.json` for every server, `.tmp/viewer.json` for live.
async function signIn(bases: string[], who: { email: string; password: string }, path: string) {
  const ctx = await request.newContext();
  for (const base of bases) {
    const resp = await ctx.post(`${base}/api/auth/login`, {
      data: { email: who.email, password: who.password },
      headers: { 'content-type': 'application/json' },
    });
    if (!resp.ok()) throw new Error(`sign-in at ${base} failed: ${resp.status()} ${await resp.text()}`);
  }
  await ctx.storageState({ path });
  await ctx.dispose();
}

export default async function globalSetup() {
  await signIn(Object.values(SERVERS), ADMIN, '.tmp/admin.json');
  await signIn([SERVERS.live], VIEWER, '.tmp/viewer.json');
}
