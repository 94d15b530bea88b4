// The Agent-FLAN pipeline in the page: negatives (paper §3.3) and capability rebalancing (§3.2)
// run on the loaded rows with the seed and ratio typed in the panel; the derived rows join the
// explorer, counted in the facets, and the rebalancing shows its before/after token table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BASE_URL, openBrowser, screenshot } from './helpers.mjs';

const LINES = readFileSync('public/data/default.jsonl', 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const DEFAULT_ROWS = LINES.length;
const QUERY_ROWS = LINES.filter((r) => Array.isArray(r.api_list) && !r.derived_from).length;
const TFLAN_ROWS = LINES.filter((r) => r.derived_from?.rule === 'tflan').length;
const SHIPPED_NEGATIVES = LINES.filter((r) => r.derived_from?.rule?.startsWith('negative_')).length;

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

async function total(page) {
  const text = await page.getByTestId('result-count').innerText();
  return Number(text.match(/of (\d+) samples/)[1]);
}

async function waitForTotal(page, n) {
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]')?.innerText.endsWith(`of ${n} samples`), n, { timeout: 30_000 });
}

function facetButton(page, facet, value) {
  return page.locator(`[data-facet="${facet}"] button[data-value="${value}"]`);
}

async function facetCount(page, facet, value) {
  const button = facetButton(page, facet, value);
  if (await button.count() === 0) return 0;
  return Number(await button.locator('.count').innerText());
}

async function addedCount(page) {
  const text = await page.getByTestId('pipeline-added-count').innerText();
  return Number(text.match(/^(\d+) new rows added/)[1]);
}

async function tokenTable(page) {
  return page.getByTestId('token-table').locator('tbody tr').evaluateAll((rows) => rows.map((r) => ({
    capability: r.dataset.capability,
    before: Number(r.querySelector('[data-col=before]').innerText),
    after: Number(r.querySelector('[data-col=after]').innerText),
    cells: [...r.querySelectorAll('td')].map((td) => td.innerText),
  })));
}

test('negatives and rebalancing run in the page on the loaded rows, with seed and ratio', async () => {
  const { page, errors } = browser;
  assert.equal(QUERY_ROWS, 10, 'the default data ships the ToolBench query rows');
  await page.goto(`${BASE_URL}/`);
  await waitForTotal(page, DEFAULT_ROWS);
  await page.getByTestId('pipeline').locator('summary').click();
  // Each rule says why, with its paper section.
  assert.match(await page.getByTestId('why-negative-no-tools').innerText(), /§3\.3/);
  assert.match(await page.getByTestId('why-negative-irrelevant').innerText(), /§3\.3/);
  assert.match(await page.getByTestId('why-rebalance').innerText(), /§3\.2/);
  assert.equal(await page.getByTestId('pipeline-seed').inputValue(), '42');
  assert.equal(await page.getByTestId('pipeline-ratio').inputValue(), '1:0.25:0.75');

  // Seed 42 on the shipped data reproduces the shipped negatives exactly: nothing new.
  await page.getByTestId('run-negatives').click();
  assert.match(await page.getByTestId('negatives-summary').innerText(), new RegExp(`Seed 42: ${QUERY_ROWS} ToolBench queries read → ${QUERY_ROWS} no-tools`));
  assert.equal(await addedCount(page), 0);
  assert.match(await page.getByTestId('pipeline-added').innerText(), new RegExp(`; ${SHIPPED_NEGATIVES} identical to rows already loaded`));
  assert.equal(await total(page), DEFAULT_ROWS);

  // Another seed picks other unrelated tools: new irrelevant-tools rows, renamed @s7.
  const derivedBefore = await facetCount(page, 'prov', 'derived');
  const irrelevantBefore = await facetCount(page, 'neg', 'irrelevant_tools');
  await page.getByTestId('pipeline-seed').fill('7');
  await page.getByTestId('run-negatives').click();
  await page.getByTestId('negatives-summary').filter({ hasText: 'Seed 7:' }).waitFor();
  const negatives = await addedCount(page);
  assert.ok(negatives > 0, 'seed 7 derives new negatives');
  const negIds = await page.getByTestId('pipeline-added-id').allInnerTexts();
  assert.ok(negIds.every((id) => id.endsWith(':neg-irrelevant@s7')), negIds.join(' '));
  await waitForTotal(page, DEFAULT_ROWS + negatives);
  assert.equal(await facetCount(page, 'prov', 'derived'), derivedBefore + negatives);
  assert.equal(await facetCount(page, 'neg', 'irrelevant_tools'), irrelevantBefore + negatives);
  // Running the same seed again adds nothing.
  await page.getByTestId('run-negatives').click();
  await page.getByTestId('pipeline-added-count').filter({ hasText: /^0 new rows/ }).waitFor();
  assert.equal(await total(page), DEFAULT_ROWS + negatives);

  // Rebalancing at the default seed and ratio reproduces the shipped rebalanced rows.
  await page.getByTestId('pipeline-seed').fill('42');
  await page.getByTestId('run-rebalance').click();
  await page.getByTestId('rebalance-summary').waitFor();
  assert.match(await page.getByTestId('rebalance-summary').innerText(), new RegExp(`Seed 42, target 1:0.25:0.75: ${TFLAN_ROWS} decomposed rows read`));
  assert.equal(await addedCount(page), 0);
  const shippedTable = await tokenTable(page);

  // Another ratio and seed: the table follows it, and the rebalanced rows join the explorer.
  const rebalancedBefore = await facetCount(page, 'src', 'derived/rebalance');
  await page.getByTestId('pipeline-seed').fill('7');
  await page.getByTestId('pipeline-ratio').fill('1:0.5:0.5');
  await page.getByTestId('run-rebalance').click();
  await page.getByTestId('rebalance-summary').filter({ hasText: 'Seed 7, target 1:0.5:0.5' }).waitFor();
  const table = await tokenTable(page);
  assert.deepEqual(table.map((r) => r.capability), ['reasoning', 'retrieval', 'understanding', 'instruction', 'total']);
  // Same input rows: the same tokens before; never more after; instruction following untouched.
  assert.deepEqual(table.map((r) => r.before), shippedTable.map((r) => r.before));
  for (const r of table) assert.ok(r.after <= r.before, JSON.stringify(r));
  const [reasoning, retrieval, understanding, instruction, sum] = table;
  assert.equal(instruction.after, instruction.before);
  assert.equal(sum.before, reasoning.before + retrieval.before + understanding.before + instruction.before);
  assert.equal(sum.after, reasoning.after + retrieval.after + understanding.after + instruction.after);
  assert.ok(sum.after < sum.before);
  assert.deepEqual([retrieval.cells[5], understanding.cells[5], instruction.cells[5]], ['0.50', '0.50', '–']);
  // The after shares sit nearer the target than the before shares.
  const off = (r, key) => Math.abs(r[key] / reasoning[key] - 0.5);
  assert.ok(off(understanding, 'after') + off(retrieval, 'after') < off(understanding, 'before') + off(retrieval, 'before'), JSON.stringify(table));
  assert.match(await page.getByTestId('rebalance-summary').innerText(), /trained tokens \d+ → \d+/);
  const rebalanced = await addedCount(page);
  assert.ok(rebalanced > 0 && rebalanced <= TFLAN_ROWS, `${rebalanced}`);
  await waitForTotal(page, DEFAULT_ROWS + negatives + rebalanced);
  assert.equal(await facetCount(page, 'prov', 'derived'), derivedBefore + negatives + rebalanced);
  assert.equal(await facetCount(page, 'src', 'derived/rebalance'), rebalancedBefore + rebalanced);
  await page.getByTestId('token-table').scrollIntoViewIfNeeded();
  await screenshot(page, 'pipeline-rebalance-table');

  // "Show derived rows" filters the explorer; an added row opens with its derived_from.
  await page.getByTestId('pipeline-show').click();
  await page.waitForFunction(() => /prov=derived/.test(location.search) && /src=derived/.test(location.search));
  const id = (await page.getByTestId('pipeline-added-id').first().innerText()).trim();
  assert.match(id, /:rebalanced@s7-r1:0\.5:0\.5$/);
  await page.getByTestId('pipeline-added-id').first().click();
  await page.locator(`[data-testid=sample-view][data-id="${id}"]`).waitFor();
  const note = await page.getByTestId('derived-note').innerText();
  assert.match(note, /rule rebalance/);
  assert.match(note, /§3\.2/);
  assert.match(note, /Source row: `[^`]+`/);
  await screenshot(page, 'pipeline-derived-row');
  assert.deepEqual(errors, []);
});

test('the runs read only the current filter when asked, and bad input is explained', async () => {
  const { page, errors } = browser;
  await page.goto(`${BASE_URL}/?task=os`);
  await waitForTotal(page, DEFAULT_ROWS);
  await page.getByTestId('pipeline').locator('summary').click();
  await page.getByTestId('pipeline-only-filter').check();
  await page.getByTestId('run-negatives').click();
  assert.match(await page.getByTestId('pipeline-error').innerText(), /No ToolBench query rows .* in the current filter/);
  await page.getByTestId('run-rebalance').click();
  await page.getByTestId('rebalance-summary').waitFor();
  const osTflan = LINES.filter((r) => r.derived_from?.rule === 'tflan' && r.derived_from.source_id.startsWith('os_')).length;
  assert.match(await page.getByTestId('rebalance-summary').innerText(), new RegExp(`: ${osTflan} decomposed rows read`));
  await page.getByTestId('pipeline-ratio').fill('1:x:2');
  await page.getByTestId('run-rebalance').click();
  assert.match(await page.getByTestId('pipeline-error').innerText(), /ratio must look like 1:0.25:0.75/);
  await page.getByTestId('pipeline-seed').fill('-3');
  await page.getByTestId('run-negatives').click();
  await page.getByTestId('pipeline-error').filter({ hasText: 'seed must be a whole number' }).waitFor();
  assert.deepEqual(errors, []);
});
