// The explorer as a person uses it: facets, search, a sample, links, and their own files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot } from './helpers.mjs';

const DEFAULT_ROWS = readFileSync('public/data/default.jsonl', 'utf8').split('\n').filter((l) => l.trim()).length;

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

async function resultCount(page) {
  const text = await page.getByTestId('result-count').innerText();
  const [shown, total] = text.match(/(\d+) of (\d+)/).slice(1).map(Number);
  return { shown, total };
}

async function waitForRows(page, total) {
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]')?.innerText.endsWith(`of ${n} samples`), total, { timeout: 30_000 });
}

function facetButton(page, facet, value) {
  return page.locator(`[data-facet="${facet}"] button[data-value="${value}"]`);
}

async function facetCount(page, facet, value) {
  return Number(await facetButton(page, facet, value).locator('.count').innerText());
}

test('the shipped data loads on first visit and facets filter with matching counts', async () => {
  const { page, errors } = browser;
  await page.goto(`${BASE_URL}/`);
  await waitForRows(page, DEFAULT_ROWS);
  assert.equal((await resultCount(page)).shown, DEFAULT_ROWS);

  const osCount = await facetCount(page, 'task', 'os');
  assert.ok(osCount > 0 && osCount < DEFAULT_ROWS, `os count ${osCount}`);
  await facetButton(page, 'task', 'os').click();
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]').innerText.startsWith(`${n} of`), osCount);
  assert.equal(await facetButton(page, 'task', 'os').getAttribute('aria-pressed'), 'true');
  assert.match(page.url(), /task=os/);
  // Every listed row is an OS sample.
  const ids = await page.getByTestId('result-row').evaluateAll((rows) => rows.map((r) => r.dataset.id));
  assert.ok(ids.length > 0 && ids.every((id) => id.startsWith('os_')), ids.join(' '));

  // OR within a facet: adding db adds its count.
  const dbCount = await facetCount(page, 'task', 'db');
  await facetButton(page, 'task', 'db').click();
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]').innerText.startsWith(`${n} of`), osCount + dbCount);

  // AND across facets: a format filter narrows to at most the smaller count.
  const reactCount = await facetCount(page, 'fmt', 'react');
  await facetButton(page, 'fmt', 'react').click();
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]').innerText.startsWith(`${n} of`), reactCount);
  assert.ok(reactCount <= osCount + dbCount);
  await screenshot(page, 'explorer-facets');

  // Back undoes the last filter; clear removes all.
  await page.goBack();
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]').innerText.startsWith(`${n} of`), osCount + dbCount);
  await page.getByTestId('clear-filters').click();
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]').innerText.startsWith(`${n} of`), DEFAULT_ROWS);
  assert.deepEqual(errors, []);
});

test('plain and regex search, scoped by role, with a clear error for a bad regex', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/`);
  await waitForRows(page, DEFAULT_ROWS);
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'search');
  await page.keyboard.type('mysql');
  await page.waitForFunction(() => /q=mysql/.test(location.search));
  const plain = (await resultCount(page)).shown;
  assert.ok(plain > 0 && plain < DEFAULT_ROWS, `plain ${plain}`);

  await page.getByTestId('search').fill('select\\s+\\*\\s+from');
  await page.getByTestId('regex-toggle').check();
  await page.waitForFunction(() => /re=1/.test(location.search));
  const regex = (await resultCount(page)).shown;
  assert.ok(regex > 0, 'regex finds SQL');
  await page.getByTestId('scope').selectOption('system');
  await page.waitForFunction(() => /scope=system/.test(location.search));
  assert.ok((await resultCount(page)).shown <= regex);

  await page.getByTestId('search').fill('(unclosed');
  await page.getByTestId('search-error').waitFor();
  assert.match(await page.getByTestId('search-error').innerText(), /invalid regex/i);
  await screenshot(page, 'explorer-bad-regex');
});

test('a sample opens as a chat, and a copied link reproduces the view after reload', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/?task=os`);
  await waitForRows(page, DEFAULT_ROWS);
  await page.getByTestId('result-row').first().click();
  const view = page.getByTestId('sample-view');
  await view.waitFor();
  const id = await view.getAttribute('data-id');
  assert.match(id, /^os_/);
  assert.match(await page.getByTestId('why-list').innerText(), /tagged os because/);
  assert.ok(await page.getByTestId('turn').count() >= 2);
  // Markers are highlighted, loss-masked turns are marked, assistant turns say their capability.
  assert.ok(await view.locator('.kw').count() > 0);
  assert.ok(await view.locator('[data-testid=turn-capability]').count() > 0);
  await page.getByTestId('turn').nth(2).click();
  await page.waitForFunction(() => /t=2/.test(location.search));

  const link = page.url();
  await page.goto('about:blank');
  await page.goto(link);
  await waitForRows(page, DEFAULT_ROWS);
  await page.locator(`[data-testid=sample-view][data-id="${id}"]`).waitFor();
  assert.equal(await facetButton(page, 'task', 'os').getAttribute('aria-pressed'), 'true');
  assert.match(await page.getByTestId('turn').nth(2).getAttribute('class'), /focused/);
  assert.match(await page.locator('.vrow.selected').getAttribute('data-id'), new RegExp(`^${id}$`));

  // j / k walk the results.
  await page.keyboard.press('j');
  await page.waitForFunction((old) => document.querySelector('[data-testid=sample-view]')?.dataset.id !== old, id);
  await page.keyboard.press('k');
  await page.locator(`[data-testid=sample-view][data-id="${id}"]`).waitFor();
  await screenshot(page, 'explorer-sample');
});

test('opening a user file streams it and lists its two bad lines by number', async () => {
  const { page } = browser;
  const dir = mkdtempSync(path.join(tmpdir(), 'afe-upload-'));
  const file = path.join(dir, 'my-audit.jsonl');
  const good = (i) => JSON.stringify({ id: `mine_${i}`, conversation: [
    { role: 'system', content: 'You can use tools.' },
    { role: 'user', content: `question ${i}` },
    { role: 'assistant', content: `Thought: think ${i}\nAction: lookup\nAction Input: {"q": ${i}}` }] });
  writeFileSync(file, [good(1), good(2), '{"id": "broken", "conversation": ', good(3), good(4), '{"id": "x", "conversation": "not a list"}', good(5)].join('\n') + '\n');

  await page.goto(`${BASE_URL}/`);
  await waitForRows(page, DEFAULT_ROWS);
  await page.getByTestId('file-input').setInputFiles(file);
  const status = page.getByTestId('load-status').filter({ hasText: 'my-audit.jsonl' });
  await status.locator('[data-testid=load-counts]').filter({ hasText: '5 rows · 2 bad lines' }).waitFor({ timeout: 30_000 });
  const bad = await status.getByTestId('bad-lines').innerText();
  assert.match(bad, /line 3: invalid JSON/);
  assert.match(bad, /line 6: field `conversation` has the wrong type/);
  await waitForRows(page, DEFAULT_ROWS + 5);
  assert.equal(await facetCount(page, 'src', 'my-audit.jsonl'), 5);
  await screenshot(page, 'explorer-user-file');
});

test('a URL that does not exist gives a clear 404 message', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/`);
  await page.getByTestId('url-input').fill(`${BASE_URL}/data/no-such-file.jsonl`);
  await page.getByTestId('url-open').click();
  const error = page.getByTestId('load-error');
  await error.waitFor();
  assert.match(await error.innerText(), /HTTP 404.*no such file/);
});

test('stats bars link to the explorer filtered to their samples', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/stats`);
  await page.getByTestId('capability-mix').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=hist-tasks] .bar').length > 0);
  const bar = page.locator('[data-testid=hist-tasks] .bar[aria-label^="OS"]');
  const count = Number((await bar.getAttribute('aria-label')).split(': ')[1]);
  await screenshot(page, 'stats');
  await bar.click();
  await page.waitForFunction(() => location.pathname.endsWith('/') && /task=os/.test(location.search));
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]')?.innerText.startsWith(`${n} of`), count);
});

test('a published trajectory can be derived into ReAct and T-FLAN rows in the browser, shown side by side', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/?s=kg_132`);
  await waitForRows(page, DEFAULT_ROWS);
  assert.match(await page.getByTestId('provenance-note').innerText(), /Published row/);
  await page.getByTestId('derive-here').click();
  await page.getByTestId('compare-grid').waitFor();
  assert.match(page.url(), /compare\?a=kg_132%3Areact&b=kg_132%3Atflan/);
  const why = await page.getByTestId('why-list').allInnerTexts();
  assert.match(why[0], /ReAct/);
  assert.match(why[1], /Decomposed/);
  await screenshot(page, 'compare-derived');
  // The derived rows say so, and cite the paper.
  await page.goto(`${BASE_URL}/?s=kg_132%3Atflan`);
  await page.getByTestId('derived-note').waitFor();
  assert.match(await page.getByTestId('derived-note').innerText(), /§3/);
});
