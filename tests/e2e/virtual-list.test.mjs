// The result list past the browser's element-height limit: 300K loaded rows need 17.4M px at
// 58 px a row, more than the list's 16M px scroll space, so scrolling is scaled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot } from './helpers.mjs';

const DEFAULT_ROWS = readFileSync('public/data/default.jsonl', 'utf8').split('\n').filter((l) => l.trim()).length;
const ROWS = 300_000;
const ROW_HEIGHT = 58;
const MAX_SCROLL_PX = 16_000_000;

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

// Geometry of the list, the spacer, and the rows drawn.
function listState(page) {
  return page.evaluate(() => {
    const list = document.querySelector('[data-testid=result-list]');
    const box = list.getBoundingClientRect();
    const rows = [...list.querySelectorAll('[data-testid=result-row]')].map((r) => {
      const b = r.getBoundingClientRect();
      return { position: Number(r.dataset.position), id: r.dataset.id, top: b.top - box.top, bottom: b.bottom - box.top, selected: r.classList.contains('selected') };
    });
    return { spacer: list.firstElementChild.getBoundingClientRect().height, scrollTop: list.scrollTop, scrollHeight: list.scrollHeight, height: list.clientHeight, rows };
  });
}

test('300K rows scroll end to end within the scroll-space cap, j/k keep the selection in view, and search runs between frames', async () => {
  const { page, errors } = browser;
  const dir = mkdtempSync(path.join(tmpdir(), 'afe-vlist-'));
  const file = path.join(dir, 'many.jsonl');
  const lines = [];
  for (let i = 0; i < ROWS; i++) lines.push(`{"id":"v_${i}","conversation":[{"role":"user","content":"q ${i}"}]}`);
  writeFileSync(file, lines.join('\n') + '\n');
  await page.goto(`${BASE_URL}/?src=many.jsonl`);
  await page.getByTestId('file-input').setInputFiles(file);
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]')?.innerText.startsWith(`${n} of`), ROWS, { timeout: 120_000 });
  assert.match(await page.getByTestId('result-count').innerText(), new RegExp(`^${ROWS} of ${ROWS + DEFAULT_ROWS} samples`));

  let s = await listState(page);
  assert.ok(ROWS * ROW_HEIGHT > MAX_SCROLL_PX);
  assert.ok(s.spacer <= MAX_SCROLL_PX && s.spacer > MAX_SCROLL_PX - 1, `spacer ${s.spacer}`);

  // The middle of the scroll range shows the middle of the list.
  await page.getByTestId('result-list').evaluate((el) => { el.scrollTop = (el.scrollHeight - el.clientHeight) / 2; });
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=result-row]')].some((r) => Number(r.dataset.position) > 1000));
  s = await listState(page);
  const visible = s.rows.filter((r) => r.bottom > 0 && r.top < s.height).sort((a, b) => a.position - b.position);
  const mid = visible[0].position;
  assert.ok(Math.abs(mid - ROWS / 2) < 50, `first visible row ${mid}`);
  // Consecutive rows are drawn one row apart, from the top of the viewport.
  for (let i = 1; i < visible.length; i++) {
    assert.equal(visible[i].position, visible[i - 1].position + 1);
    assert.ok(Math.abs(visible[i].top - visible[i - 1].top - ROW_HEIGHT) < 0.5);
  }

  // The end of the scroll range shows the last row, fully.
  await page.getByTestId('result-list').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForFunction((n) => !!document.querySelector(`[data-testid=result-row][data-position="${n - 1}"]`), ROWS);
  s = await listState(page);
  const last = s.rows.find((r) => r.position === ROWS - 1);
  assert.equal(last.id, `v_${ROWS - 1}`);
  assert.ok(last.top >= 0 && last.bottom <= s.height + 0.5, `last row at ${last.top}..${last.bottom} of ${s.height}`);

  // Select it, jump back to the top, then k: the new selection is scrolled into view.
  await page.locator(`[data-testid=result-row][data-position="${ROWS - 1}"]`).click();
  await page.locator(`[data-testid=sample-view][data-id="v_${ROWS - 1}"]`).waitFor();
  await page.getByTestId('result-list').evaluate((el) => { el.scrollTop = 0; });
  await page.waitForFunction(() => !!document.querySelector('[data-testid=result-row][data-position="0"]'));
  await page.keyboard.press('k');
  await page.locator(`[data-testid=sample-view][data-id="v_${ROWS - 2}"]`).waitFor();
  await page.waitForFunction((n) => !!document.querySelector(`[data-testid=result-row][data-position="${n - 2}"].selected`), ROWS);
  s = await listState(page);
  const sel = s.rows.find((r) => r.selected);
  assert.equal(sel.position, ROWS - 2);
  assert.ok(sel.top >= -0.5 && sel.bottom <= s.height + 0.5, `selected row at ${sel.top}..${sel.bottom} of ${s.height}`);
  // And j from there walks back to the last row, still in view.
  await page.keyboard.press('j');
  await page.locator(`[data-testid=sample-view][data-id="v_${ROWS - 1}"]`).waitFor();
  s = await listState(page);
  const again = s.rows.find((r) => r.selected);
  assert.equal(again.position, ROWS - 1);
  assert.ok(again.top >= -0.5 && again.bottom <= s.height + 0.5);
  await screenshot(page, 'virtual-list-300k');

  // Search past 50K rows runs in slices between frames: the header says it is searching,
  // keeps the previous result meanwhile, and then shows exactly the matching rows.
  const settled = (text) => page.waitForFunction((t) => {
    const el = document.querySelector('[data-testid=result-count]');
    return el?.dataset.pending === 'false' && el.dataset.query === t;
  }, text, { timeout: 60_000 });
  await page.evaluate(() => {
    window.__sawProgress = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=search-progress]')) window.__sawProgress = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
  // Typed one key at a time: every keystroke restarts the scan; the result is the last text's.
  await page.getByTestId('search').pressSequentially('Q 12345', { delay: 30 });
  await settled('Q 12345');
  assert.equal(await page.evaluate(() => window.__sawProgress), true);
  // "q 12345" and "q 123450" … "q 123459" (case folded): 11 rows.
  assert.match(await page.getByTestId('result-count').innerText(), new RegExp(`^11 of ${ROWS + DEFAULT_ROWS} samples`));
  const ids = await page.$$eval('[data-testid=result-row]', (rows) => rows.map((r) => r.dataset.id).sort());
  assert.deepEqual(ids, ['v_12345', ...Array.from({ length: 10 }, (_, i) => `v_12345${i}`)].sort());
  assert.equal(await page.getByTestId('search-progress').count(), 0);
  // Scoped to assistant turns (these rows have none): nothing.
  await page.getByTestId('scope').selectOption('assistant');
  await page.waitForFunction(() => document.querySelector('[data-testid=result-count]')?.innerText.startsWith('0 of'), null, { timeout: 60_000 });
  await page.getByTestId('scope').selectOption('any');
  await settled('Q 12345');
  assert.match(await page.getByTestId('result-count').innerText(), /^11 of/);
  await screenshot(page, 'search-300k');
  assert.match(await page.getByTestId('memory-use').innerText(), new RegExp(`^${ROWS + DEFAULT_ROWS} rows in memory: .* \\(page memory .* of 4 GiB\\)`));
  assert.deepEqual(errors, []);
});
