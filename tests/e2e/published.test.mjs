// The "published files" path: the same code that opens internlm/Agent-FLAN's 7 files by URL,
// fed same-shaped files from localhost (our machines cannot reach the Hub).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot } from './helpers.mjs';

const DIST = process.env.AFE_DIST ?? 'dist';
const rows = readFileSync('public/data/default.jsonl', 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

// Agent-FLAN rows are {id, conversation:[{role, content, loss}]}: strip our extra fields.
function publishedShape(row, prefix) {
  return JSON.stringify({ id: `${prefix}_${row.id}`, conversation: row.conversation.map(({ role, content, loss }) => ({ role, content, loss: loss ?? role === 'assistant' })) });
}

const files = {
  agent_instruct_react: rows.filter((r) => /^(os|db|kg|alfworld|webshop|mind2web)_\d+$/.test(r.id)),
  toolbench_negative: rows.filter((r) => /negative/.test(r.derived_from?.rule ?? '')),
};

let browser;
before(async () => {
  const hub = path.join(DIST, 'test-hub');
  mkdirSync(hub, { recursive: true });
  for (const [name, list] of Object.entries(files)) {
    writeFileSync(path.join(hub, `${name}.jsonl`), list.map((r) => publishedShape(r, name)).join('\n') + '\n');
  }
  browser = await openBrowser();
});
after(async () => { await browser?.close(); });

async function openPublished(page, names) {
  await page.getByTestId('published-files').locator('summary').click();
  await page.getByTestId('published-prefix').fill(`${BASE_URL}/test-hub/`);
  for (const name of names) await page.locator(`input[data-file="${name}"]`).check();
  await page.getByTestId('published-open').click();
}

test('two published files open at once, stream, and show up as sources with counts', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/`);
  await openPublished(page, Object.keys(files));
  for (const [name, list] of Object.entries(files)) {
    const status = page.getByTestId('load-status').filter({ hasText: `${name}.jsonl` });
    await status.locator('[data-testid=load-counts]').filter({ hasText: `${list.length} rows · 0 bad lines` }).waitFor({ timeout: 30_000 });
    const count = Number(await page.locator(`[data-facet=src] button[data-value="${name}.jsonl"] .count`).innerText());
    assert.equal(count, list.length);
  }
  // Classification uses the file name: the negative file's rows are negative samples.
  await page.locator('[data-facet=src] button[data-value="toolbench_negative.jsonl"]').click();
  const negatives = Number(await page.locator('[data-facet=neg] button[data-value=none] .count').innerText());
  assert.equal(negatives, 0, 'no row of toolbench_negative is tagged "not negative"');
  await screenshot(page, 'published-files');
});

test('a second visit reads the published files from the browser cache', async () => {
  // Its own fresh profile: nothing cached by the test above, so the first open must hit the
  // network and only the second may come from the cache.
  const own = await openBrowser();
  try {
    const { page } = own;
    const name = 'agent_instruct_react';
    const done = (p) => p.getByTestId('load-status').filter({ hasText: `${name}.jsonl` })
      .locator('[data-testid=load-counts]').filter({ hasText: `${files[name].length} rows · 0 bad lines` });
    await page.goto(`${BASE_URL}/`);
    await openPublished(page, [name]);
    await done(page).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('load-status').filter({ hasText: "from this browser's cache" }).count(), 0,
      'the first visit reads from the network');
    await page.goto(`${BASE_URL}/`);
    await openPublished(page, [name]);
    await page.getByTestId('load-status').filter({ hasText: "from this browser's cache" }).waitFor({ timeout: 30_000 });
    await done(page).waitFor({ timeout: 30_000 });
  } finally {
    await own.close();
  }
});
