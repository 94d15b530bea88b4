// Labelling from the keyboard, saved in IndexedDB: durability, undo/redo, bulk, export/import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot } from './helpers.mjs';

const DEFAULT_ROWS = readFileSync('public/data/default.jsonl', 'utf8').split('\n').filter((l) => l.trim()).length;

async function ready(page, url = `${BASE_URL}/`) {
  await page.goto(url);
  await page.waitForFunction((n) => document.querySelector('[data-testid=result-count]')?.innerText.endsWith(`of ${n} samples`), DEFAULT_ROWS, { timeout: 30_000 });
  await page.locator('[data-testid=save-state][data-state=saved]').waitFor({ timeout: 30_000 });
}

async function progress(page) {
  const [done, total] = (await page.getByTestId('label-progress').innerText()).match(/(\d+) \/ (\d+)/).slice(1).map(Number);
  return { done, total };
}

async function waitSaved(page, done) {
  await page.waitForFunction((d) => document.querySelector('[data-testid=label-progress]')?.innerText.startsWith(`${d} /`), done, { timeout: 30_000 });
  await page.locator('[data-testid=save-state][data-state=saved]').waitFor({ timeout: 30_000 });
}

function facetCount(page, value) {
  return page.locator(`[data-facet=ext] button[data-value="${value}"] .count`).innerText().then(Number);
}

test('50 samples labelled by keyboard are all there after a reload', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await ready(page);
    await page.keyboard.press('j');
    await page.getByTestId('sample-view').waitFor();
    for (let i = 0; i < 50; i++) {
      await page.keyboard.press(i % 5 === 4 ? 'x' : 'a');
    }
    await waitSaved(page, 50);
    await screenshot(page, 'annotation-50');
    await page.reload();
    await ready(page);
    assert.equal((await progress(page)).done, 50);
    assert.equal(await facetCount(page, 'accepted'), 40);
    assert.equal(await facetCount(page, 'rejected'), 10);
    assert.deepEqual(b.errors, []);
  } finally { await b.close(); }
});

test('a crashed browser loses nothing that was shown as saved', async () => {
  const profile = mkdtempSync(path.join(tmpdir(), 'afe-crash-'));
  try {
    let b = await openBrowser({ userDataDir: profile });
    await ready(b.page);
    await b.page.keyboard.press('j');
    for (let i = 0; i < 12; i++) await b.page.keyboard.press('f');
    await waitSaved(b.page, 12);
    // Kill the browser process outright, as a crash or a killed tab would.
    const cdp = await b.context.newCDPSession(b.page);
    await cdp.send('Browser.crash').catch(() => {});
    await b.context.close().catch(() => {});
    b = await openBrowser({ userDataDir: profile });
    await ready(b.page);
    assert.equal((await progress(b.page)).done, 12);
    assert.equal(await facetCount(b.page, 'flagged'), 12);
    await b.close();
  } finally { rmSync(profile, { recursive: true, force: true }); }
});

test('undo and redo, by key and by button', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await ready(page, `${BASE_URL}/?s=os_42`);
    await page.keyboard.press('?');
    assert.match(await page.getByTestId('help-overlay').innerText(), /ctrl-shift-z\s+redo/);
    await page.keyboard.press('Escape');
    await page.getByTestId('help-overlay').waitFor({ state: 'detached' });
    await page.getByTestId('label-accept').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=annotation-status]')?.innerText === 'accepted');
    await page.getByTestId('note').fill('tool output truncated');
    await page.getByTestId('note').blur();
    await waitSaved(page, 1);
    await page.keyboard.press('Control+z');
    assert.equal(await page.getByTestId('note').inputValue(), '');
    await page.keyboard.press('Backspace');
    await page.waitForFunction(() => document.querySelector('[data-testid=annotation-status]')?.innerText === 'unlabelled');
    await page.keyboard.press('Control+Shift+Z');
    await page.waitForFunction(() => document.querySelector('[data-testid=annotation-status]')?.innerText === 'accepted');
    await page.getByTestId('redo').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=note]')?.value === 'tool output truncated');
    // A turn label and a capability correction (key 2 = retrieval on the focused turn).
    await page.locator('[data-testid=turn][data-turn="1"]').click();
    await page.keyboard.press('2');
    await page.locator('[data-testid=turn][data-turn="1"] [data-testid=turn-cap-retrieval][aria-pressed=true]').waitFor();
    await page.locator('[data-testid=turn][data-turn="1"] [data-testid=turn-hallucinated_tool_call]').click();
    await page.locator('[data-testid=turn][data-turn="1"] [data-testid=turn-hallucinated_tool_call][aria-pressed=true]').waitFor();
    // A span: select words inside the turn, pick a label, label it.
    await page.locator('[data-testid=turn][data-turn="1"] .turn-body').evaluate((body) => {
      const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
      let node; while ((node = walker.nextNode()) && !node.textContent.includes('count the files')) {}
      const at = node.textContent.indexOf('count the files');
      const range = document.createRange(); range.setStart(node, at); range.setEnd(node, at + 'count the files'.length);
      const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    });
    await page.locator('[data-testid=turn][data-turn="1"] [data-testid=label-span]').click();
    const span = page.locator('[data-testid=turn][data-turn="1"] [data-testid=span-label]');
    await span.waitFor();
    assert.match(await span.innerText(), /hallucination.*count the files/);
    await waitSaved(page, 1);
    await screenshot(page, 'annotation-turn-labels');
  } finally { await b.close(); }
});

test('bulk labelling everything in a filter is one undoable step', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await ready(page, `${BASE_URL}/?task=os`);
    const matching = Number((await page.getByTestId('result-count').innerText()).split(' ')[0]);
    await page.getByTestId('bulk-label').selectOption('reject');
    await page.getByTestId('bulk-open').click();
    assert.match(await page.getByTestId('bulk-confirm').innerText(), new RegExp(`Label all ${matching} samples`));
    await page.getByTestId('bulk-yes').click();
    await waitSaved(page, matching);
    assert.deepEqual(await progress(page), { done: matching, total: matching });
    await page.getByTestId('undo').click();
    await waitSaved(page, 0);
  } finally { await b.close(); }
});

test('export, clear, import round-trips byte for byte, and import reports bad lines and conflicts', async () => {
  const b = await openBrowser();
  const dir = mkdtempSync(path.join(tmpdir(), 'afe-export-'));
  try {
    const { page } = b;
    await ready(page);
    await page.keyboard.press('j');
    for (const key of ['a', 'x', 'f', 'a', ' ']) await page.keyboard.press(key);
    await waitSaved(page, 5);
    const openMenu = () => page.locator('.export-menu').evaluate((d) => { d.open = true; });
    const exportTo = async (name) => {
      await openMenu();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-annotations').click()]);
      const file = path.join(dir, name);
      await download.saveAs(file);
      return file;
    };
    const first = await exportTo('first.jsonl');
    assert.equal(readFileSync(first, 'utf8').trim().split('\n').length, 5);
    await openMenu();
    await page.getByTestId('clear-labels').click();
    await waitSaved(page, 0);
    await page.getByTestId('import-input').setInputFiles(first);
    assert.match(await page.getByTestId('import-summary').innerText(), /^5 new annotations, 0 that differ from yours, 0 bad lines/);
    await page.getByTestId('import-new').click();
    await waitSaved(page, 5);
    const second = await exportTo('second.jsonl');
    assert.equal(readFileSync(second, 'utf8'), readFileSync(first, 'utf8'));

    // The accepted subset exports in Agent-FLAN's own row format.
    await openMenu();
    const [accepted] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-accepted').click()]);
    await accepted.saveAs(path.join(dir, 'accepted.jsonl'));
    const rows = readFileSync(path.join(dir, 'accepted.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 2);
    assert.deepEqual(Object.keys(rows[0]).sort(), ['conversation', 'id']);

    // A file with a bad line and a conflicting label is reported, and nothing is overwritten without asking.
    const lines = readFileSync(first, 'utf8').trim().split('\n');
    const changed = JSON.parse(lines[0]); changed.label = changed.label === 'reject' ? 'accept' : 'reject';
    const bad = path.join(dir, 'bad.jsonl');
    (await import('node:fs')).writeFileSync(bad, [JSON.stringify(changed), '{not json', lines[1]].join('\n') + '\n');
    await page.getByTestId('import-input').setInputFiles(bad);
    assert.match(await page.getByTestId('import-summary').innerText(), /0 new annotations, 1 that differ from yours, 1 bad lines/);
    assert.match(await page.getByTestId('import-bad-lines').innerText(), /line 2/);
    await screenshot(page, 'annotation-import');
  } finally { await b.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('reopening a file re-attaches its labels, and a changed sample is flagged', async () => {
  const b = await openBrowser();
  const dir = mkdtempSync(path.join(tmpdir(), 'afe-reopen-'));
  const { writeFileSync } = await import('node:fs');
  const row = (answer) => JSON.stringify({ id: 'audit_1', conversation: [
    { role: 'user', content: 'What is 2+2?' }, { role: 'assistant', content: answer }] });
  try {
    const { page } = b;
    const file = path.join(dir, 'audit.jsonl');
    writeFileSync(file, row('4') + '\n');
    await ready(page);
    await page.getByTestId('file-input').setInputFiles(file);
    await page.goto(`${BASE_URL}/?s=audit_1`);
    await page.getByTestId('file-input').setInputFiles(file);
    await page.locator('[data-testid=sample-view][data-id=audit_1]').waitFor();
    await page.getByTestId('label-accept').click();
    await waitSaved(page, 1);

    await page.reload();
    await ready(page, page.url());
    await page.getByTestId('file-input').setInputFiles(file);
    await page.waitForFunction(() => document.querySelector('[data-testid=annotation-status]')?.innerText === 'accepted');

    writeFileSync(file, row('5') + '\n');
    await page.reload();
    await ready(page, page.url());
    await page.getByTestId('file-input').setInputFiles(file);
    await page.getByTestId('changed-note').waitFor();
    assert.equal(await page.getByTestId('annotation-status').innerText(), 'changed since labelled');
    assert.equal(await facetCount(page, 'changed'), 1);
  } finally { await b.close(); rmSync(dir, { recursive: true, force: true }); }
});


test('a full storage quota is reported clearly, and nothing unsaved is shown as saved', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await ready(page);
    const cdp = await b.context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(BASE_URL).origin, quotaSize: 1 });
    // Chromium applies a new quota to database connections opened after it.
    await page.reload();
    await ready(page);
    await page.keyboard.press('j');
    await page.keyboard.press('a');
    const error = page.getByTestId('save-error');
    await error.waitFor({ timeout: 30_000 });
    assert.match(await error.innerText(), /storage for this site is full: the last change was NOT saved/);
    await screenshot(page, 'annotation-quota');
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(BASE_URL).origin });
    await page.reload();
    await ready(page);
    assert.equal((await progress(page)).done, 0, 'the change that failed to save is not there after a reload');
  } finally { await b.close(); }
});
