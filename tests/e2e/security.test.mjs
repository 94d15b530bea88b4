// Dataset text is untrusted: nothing in a sample may run as script or become live markup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot } from './helpers.mjs';

const HOSTILE = [
  '<script>window.__pwned = "script"</script>',
  '<img src=x onerror="window.__pwned = \'img\'">',
  '<a href="javascript:window.__pwned=\'link\'">click me</a>',
  '<svg onload="window.__pwned=\'svg\'"></svg>',
  '{"name": "<img src=y onerror=window.__pwned=1>", "description": "<b>bold</b>"}',
].join('\n');

test('hostile sample text is shown as text and never runs', async () => {
  const b = await openBrowser();
  const dir = mkdtempSync(path.join(tmpdir(), 'afe-xss-'));
  try {
    const { page } = b;
    const file = path.join(dir, 'hostile.jsonl');
    writeFileSync(file, JSON.stringify({ id: 'xss_<b>1</b>', conversation: [
      { role: 'system', content: `Tools: [{"name": "<script>x</script>", "description": "<img src=z onerror=window.__pwned=2>"}]` },
      { role: 'user', content: HOSTILE },
      { role: 'assistant', content: `Thought: <script>window.__pwned='thought'</script>\nAction: <img src=q onerror=window.__pwned=3>\nAction Input: {"q": "<svg onload=window.__pwned=4>"}` },
    ] }) + '\n');
    await page.goto(`${BASE_URL}/`);
    await page.getByTestId('file-input').setInputFiles(file);
    await page.getByTestId('load-status').filter({ hasText: 'hostile.jsonl' }).filter({ hasText: 'done' }).waitFor();
    await page.getByTestId('search').fill('__pwned');
    await page.locator('[data-testid=result-row][data-id="xss_<b>1</b>"]').click();
    await page.getByTestId('sample-view').waitFor();
    await page.waitForTimeout(500);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    const view = page.getByTestId('sample-view');
    assert.equal(await view.locator('script, img, svg, a[href^="javascript"], b').count(), 0, 'no markup from the sample exists in the DOM');
    assert.match(await view.innerText(), /<script>window.__pwned = "script"<\/script>/);
    assert.match(await page.getByTestId('tools-table').innerText(), /<script>x<\/script>/);
    await screenshot(page, 'security-hostile-sample');
  } finally { await b.close(); }
});
