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

  // Back undoes the last filter, forward redoes it; clear removes all.
  await page.goBack();
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]').innerText.startsWith(`${n} of`), osCount + dbCount);
  assert.doesNotMatch(page.url(), /fmt=react/);
  assert.equal(await facetButton(page, 'fmt', 'react').getAttribute('aria-pressed'), 'false');
  await page.goForward();
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]').innerText.startsWith(`${n} of`), reactCount);
  assert.match(page.url(), /fmt=react/);
  assert.equal(await facetButton(page, 'fmt', 'react').getAttribute('aria-pressed'), 'true');
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

test('loss-masked turns are de-emphasised and turn-level extra fields are shown as text', async () => {
  const { page } = browser;
  // A decomposed row: user turns carry loss: false, assistant turns a `capability` tag.
  await page.goto(`${BASE_URL}/?s=${encodeURIComponent('toolbench_G3_answer_15:tflan')}`);
  await waitForRows(page, DEFAULT_ROWS);
  const view = page.getByTestId('sample-view');
  await view.waitFor();
  const masked = view.locator('[data-testid=turn].masked');
  const unmasked = view.locator('[data-testid=turn]:not(.masked)');
  assert.ok(await masked.count() > 0 && await unmasked.count() > 0);
  // Masked turns are the user / system turns (loss: false), drawn fainter and marked.
  assert.ok(await masked.evaluateAll((els) => els.every((e) => !e.classList.contains('role-assistant'))));
  const opacity = (loc) => loc.first().evaluate((e) => Number(getComputedStyle(e).opacity));
  assert.ok(await opacity(masked) < 1, 'masked turns are de-emphasised');
  assert.equal(await opacity(unmasked), 1);
  assert.match(await masked.first().innerText(), /loss masked/);
  assert.doesNotMatch(await unmasked.first().innerText(), /loss masked/);
  // T-FLAN capability tags, as text.
  const extras = view.locator('[data-testid=turn-extra]');
  assert.ok(await extras.count() > 0);
  assert.match(await view.locator('.role-assistant [data-testid=turn-extra]').first().innerText(), /capability: reasoning/);
  await screenshot(page, 'sample-tflan-extras');

  // A published ToolBench row: the assistant's function_call and the function's name.
  await page.goto(`${BASE_URL}/?s=toolbench_G1_answer_10`);
  await view.waitFor();
  await page.locator('[data-testid=sample-view][data-id="toolbench_G1_answer_10"]').waitFor();
  const all = await view.locator('[data-testid=turn-extra]').allInnerTexts();
  assert.ok(all.some((t) => /function_call/.test(t) && /"arguments"/.test(t)), all.join('\n'));
  assert.ok(all.some((t) => /^1 extra field: name: /.test(t)), all.join('\n'));
  // Text only: no element comes from the sample's text.
  assert.equal(await view.locator('[data-testid=turn-extra] pre *').count(), 0);
  await screenshot(page, 'sample-toolbench-extras');
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

  // Chars-per-turn bars count turns; each links to the samples having such a turn.
  await page.goto(`${BASE_URL}/stats`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=hist-chars] .bar').length === 7);
  const bars = await page.locator('[data-testid=hist-chars] .bar').evaluateAll((els) =>
    els.map((e) => ({ label: e.getAttribute('aria-label'), samples: Number(e.dataset.samples) })));
  const pick = bars.filter((b) => b.samples > 0 && b.samples < DEFAULT_ROWS);
  assert.ok(pick.length > 0, JSON.stringify(bars));
  const lengthBar = pick[0];
  const turns = Number(lengthBar.label.split(': ')[1]);
  assert.ok(turns >= lengthBar.samples, `${turns} turns in ${lengthBar.samples} samples`);
  await page.locator(`[data-testid=hist-chars] .bar[aria-label="${lengthBar.label}"]`).click();
  await page.waitForFunction(() => /tlen=/.test(location.search));
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]')?.innerText.startsWith(`${n} of`), lengthBar.samples);
  // The explorer's sidebar shows the same facet selected.
  assert.equal(await page.locator('[data-facet=tlen] button[aria-pressed=true]').count(), 1);

  // Capability-mix rows link to the capability facet, under the current filter.
  await page.goto(`${BASE_URL}/stats?task=os`);
  const link = page.locator('[data-testid=capability-mix] tr[data-capability=retrieval] [data-testid=cap-link]');
  await link.waitFor();
  const samples = Number(await link.getAttribute('data-samples'));
  assert.ok(samples > 0, 'os rows use tools');
  await screenshot(page, 'stats-os');
  await link.click();
  await page.waitForFunction(() => /cap=retrieval/.test(location.search) && /task=os/.test(location.search));
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]')?.innerText.startsWith(`${n} of`), samples);
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
  // Aligned by meaning: matched user turns sit side by side with the same text, and the
  // decomposed side's extra assistant turns sit between them (not shifted by index).
  const same = page.locator('[data-testid=compare-cell][data-kind=same-user]');
  const cells = await same.evaluateAll((els) => els.map((e) => e.querySelector('.turn-body')?.innerText ?? ''));
  assert.ok(cells.length >= 4 && cells.length % 2 === 0, `${cells.length} same-user cells`);
  for (let i = 0; i < cells.length; i += 2) assert.ok(cells[i + 1].startsWith(cells[i].trim().slice(0, 40)), `row ${i / 2}`);
  const between = page.locator('[data-testid=compare-cell][data-kind=between]');
  const counts = await between.evaluateAll((els) => els.map((e) => e.querySelectorAll('[data-testid=turn]').length));
  // Left (ReAct) and right (T-FLAN) alternate; some step has more T-FLAN turns than ReAct ones.
  assert.ok(counts.some((n, i) => i % 2 === 1 && n > counts[i - 1]), counts.join(','));
  assert.match(await page.getByTestId('compare-note').innerText(), /Aligned by meaning/);
  await screenshot(page, 'compare-derived');
  // The derived rows say so, and cite the paper.
  await page.goto(`${BASE_URL}/?s=kg_132%3Atflan`);
  await page.getByTestId('derived-note').waitFor();
  assert.match(await page.getByTestId('derived-note').innerText(), /§3/);
  assert.equal(await page.getByTestId('derive-here').count(), 0, 'derived rows offer nothing');

  // A ToolBench answer gets ToolBench's rule (tools from the answer file), not AgentInstruct's.
  await page.goto(`${BASE_URL}/?s=toolbench_G1_answer_10`);
  await waitForRows(page, DEFAULT_ROWS);
  const toolWhy = await page.getByTestId('derive-why').innerText();
  assert.match(toolWhy, /ToolBench answer/);
  assert.match(toolWhy, /§3\.1/);
  await page.getByTestId('derive-here').click();
  await page.getByTestId('compare-grid').waitFor();
  assert.match(page.url(), /compare\?a=toolbench_G1_answer_10%3Areact&b=toolbench_G1_answer_10%3Atflan/);
  const whys = await page.getByTestId('why-list').allInnerTexts();
  assert.match(whys[0], /ReAct/);
  assert.match(whys[1], /Decomposed/);
  assert.equal(await page.getByTestId('derive-error').count(), 0);
});
