// The hosted page: a sub-path deployment with deep links, offline after one visit, and a new
// bundle announced to the user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot } from './helpers.mjs';

const SUB = process.env.AFE_SUBPATH_URL ?? 'http://127.0.0.1:8130/agent-flan-explorer';
const DIST = process.env.AFE_DIST ?? 'dist';
const DEFAULT_ROWS = readFileSync('public/data/default.jsonl', 'utf8').split('\n').filter((l) => l.trim()).length;

async function rowsLoaded(page, total = DEFAULT_ROWS) {
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]')?.innerText.endsWith(`of ${n} samples`), total, { timeout: 30_000 });
}

test('under a sub-path, a deep link with filters and a sample opens the same view, and every route loads', async () => {
  const b = await openBrowser();
  try {
    const { page, errors } = b;
    await page.goto(`${SUB}/?task=db&fmt=react&s=db_100&t=1`);
    await rowsLoaded(page);
    await page.locator('[data-testid=sample-view][data-id=db_100]').waitFor();
    assert.equal(await page.locator('[data-facet=task] button[data-value=db]').getAttribute('aria-pressed'), 'true');
    assert.match(await page.locator('[data-testid=turn][data-turn="1"]').getAttribute('class'), /focused/);
    await screenshot(page, 'hosted-subpath-deeplink');
    for (const [route, id] of [['stats', 'stats-page'], ['playground', 'playground-page'], ['about', 'about-page'], ['compare?a=os_42&b=os_42%3Areact', 'compare-grid']]) {
      await page.goto(`${SUB}/${route}`);
      await page.getByTestId(id).waitFor({ timeout: 30_000 });
      assert.ok(new URL(page.url()).pathname.startsWith('/agent-flan-explorer/'), page.url());
    }
    // In-app links stay under the sub-path.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Explorer', exact: true }).click();
    await rowsLoaded(page);
    assert.equal(new URL(page.url()).pathname, '/agent-flan-explorer/');
    assert.deepEqual(errors, []);
  } finally { await b.close(); }
});

test('after one visit the explorer, its data and saved labels work offline', async () => {
  const b = await openBrowser();
  try {
    const { page, context } = b;
    await page.goto(`${BASE_URL}/`);
    await rowsLoaded(page);
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30_000 });
    await page.keyboard.press('j');
    await page.keyboard.press('a');
    await page.locator('[data-testid=save-state][data-state=saved]').waitFor();
    await context.setOffline(true);
    await page.reload();
    await rowsLoaded(page);
    assert.match(await page.getByTestId('label-progress').innerText(), /^1 \//);
    await page.goto(`${BASE_URL}/stats?task=os`);
    await page.getByTestId('capability-mix').waitFor();
    await screenshot(page, 'hosted-offline-stats');
    await context.setOffline(false);
  } finally { await b.close(); }
});

test('a new bundle is picked up on the next visit and the user is told', async () => {
  const b = await openBrowser();
  const swPath = path.join(DIST, 'sw.js');
  const original = readFileSync(swPath, 'utf8');
  try {
    const { page } = b;
    await page.goto(`${BASE_URL}/`);
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30_000 });
    // Deploy a "new version" of the worker.
    writeFileSync(swPath, original.replace(/const VERSION = '([^']+)'/, "const VERSION = '$1-next'"));
    await page.reload();
    await page.getByTestId('update-banner').waitFor({ timeout: 30_000 });
    await screenshot(page, 'hosted-update-banner');
  } finally {
    writeFileSync(swPath, original);
    await b.close();
  }
});
