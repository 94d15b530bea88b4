// Labelling from the keyboard, saved in IndexedDB: durability, undo/redo, bulk, export/import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot, browserPid } from './helpers.mjs';

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

/** The id of every sample in the default data, in file (and so result-list) order. */
const DEFAULT_IDS = readFileSync('public/data/default.jsonl', 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l).id);

/** Every value in the app's IndexedDB store, read raw (not through the app, which skips bad records). */
function rawRecords(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('agent-flan-explorer');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const get = db.transaction('annotations', 'readonly').objectStore('annotations').getAll();
      get.onsuccess = () => { db.close(); resolve(get.result); };
      get.onerror = () => reject(get.error);
    };
  }));
}

test('a browser killed right after a burst of keys loses nothing that was shown as saved', async (t) => {
  const profile = mkdtempSync(path.join(tmpdir(), 'afe-crash-'));
  try {
    let b = await openBrowser({ userDataDir: profile });
    // Each time the indicator says "saved", the page reports the count it showed. A report
    // that reaches the test was on screen before the kill; one still in flight is not counted.
    const shown = [];
    await b.page.exposeBinding('afeShownSaved', (_source, count) => shown.push(count));
    await b.page.addInitScript(() => {
      let last = -1;
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid=save-state]');
        const count = el?.dataset.state === 'saved' ? Number(el.dataset.count) : -1;
        if (count >= 0 && count !== last) { last = count; window.afeShownSaved(count); }
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state', 'data-count'] });
    });
    await ready(b.page);
    await b.page.keyboard.press('j');
    await b.page.getByTestId('sample-view').waitFor();
    // Sample k of the list gets keys[k]: each label key labels the open sample and moves on.
    const keys = Array.from({ length: 40 }, (_, i) => ['f', 'a', 'x'][i % 3]);
    const names = { f: 'flag', a: 'accept', x: 'reject' };
    for (const key of keys.slice(0, 10)) await b.page.keyboard.press(key);
    // Let at least one "saved" reach the screen, then a second burst, killed with no wait.
    const deadline = Date.now() + 30_000;
    while (!shown.some((n) => n > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(shown.some((n) => n > 0), 'the page showed labels as saved during the first burst');
    // The second burst goes straight to the browser's input queue, as fast as it takes it, so
    // writes are still in flight when the process dies.
    const cdp = await b.context.newCDPSession(b.page);
    const pid = browserPid(profile);
    const sent = keys.slice(10).flatMap((key) => {
      const event = { key, text: key, code: `Key${key.toUpperCase()}`, windowsVirtualKeyCode: key.toUpperCase().charCodeAt(0) };
      return [cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', ...event }), cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...event })];
    });
    await sent.at(-1);
    process.kill(pid, 'SIGKILL');
    await b.context.close().catch(() => {});
    const shownSaved = Math.max(...shown);

    b = await openBrowser({ userDataDir: profile });
    await ready(b.page);
    const records = (await rawRecords(b.page)).map((v) => JSON.parse(v));
    const done = (await progress(b.page)).done;
    assert.equal(records.length, done, 'every stored record is a readable annotation');
    assert.ok(done >= shownSaved, `${done} labels survived, the page had shown ${shownSaved} as saved`);
    assert.ok(done <= keys.length);
    t.diagnostic(`${keys.length} keys pressed, ${shownSaved} shown as saved before the kill, ${done} found after it`);
    // Transactions commit in order, so what survived is the first `done` samples, each with
    // the label its key gave, and nothing else.
    records.sort((p, q) => DEFAULT_IDS.indexOf(p.key.id) - DEFAULT_IDS.indexOf(q.key.id));
    assert.deepEqual(records.map((r) => r.key.id), DEFAULT_IDS.slice(0, done));
    assert.deepEqual(records.map((r) => r.label), keys.slice(0, done).map((k) => names[k]));
    assert.equal(await facetCount(b.page, 'flagged'), keys.slice(0, done).filter((k) => k === 'f').length);
    await screenshot(b.page, 'annotation-after-kill');
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

/** Opens `page` at the site and a second tab of the same site that is not the app. */
async function otherTab(context) {
  const other = await context.newPage();
  await other.goto(`${BASE_URL}/manifest.webmanifest`);
  return other;
}

test('a database held open at an older version by another tab is reported, and labelling starts when it lets go', async () => {
  const b = await openBrowser();
  try {
    const { page, context } = b;
    // The other tab holds version 1 open and, like an old build, ignores requests to upgrade.
    const other = await otherTab(context);
    await other.evaluate(() => new Promise((resolve, reject) => {
      const open = indexedDB.open('agent-flan-explorer', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('annotations');
      open.onsuccess = () => { window.heldDb = open.result; resolve(); };
      open.onerror = () => reject(open.error);
    }));
    // This tab is a newer build: its open asks for one version more.
    await page.addInitScript(() => {
      const open = IDBFactory.prototype.open;
      IDBFactory.prototype.open = function (name, version) {
        return open.call(this, name, name === 'agent-flan-explorer' && version ? version + 1 : version);
      };
    });
    await page.goto(`${BASE_URL}/`);
    await page.locator('[data-testid=save-state][data-state=blocked]').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('save-error').innerText(), /another tab of this site holds an older version of it open\. Close that tab/);
    await page.keyboard.press('j');
    await page.getByTestId('sample-view').waitFor();
    await page.keyboard.press('a');
    assert.match(await page.getByTestId('label-notice').innerText(), /^Nothing was changed: Waiting for the label database/);
    assert.equal(await page.getByTestId('annotation-status').innerText(), 'unlabelled');
    await screenshot(page, 'annotation-blocked');
    // The other tab closes its connection: the open goes ahead, and labels save.
    await other.evaluate(() => window.heldDb.close());
    await page.locator('[data-testid=save-state][data-state=saved]').waitFor({ timeout: 30_000 });
    await page.keyboard.press('a');
    await waitSaved(page, 1);
    assert.equal(await page.locator('[data-testid=save-state]').getAttribute('data-count'), '1');
  } finally { await b.close(); }
});

test('a newer version opened in another tab is let through: this tab closes its database and says to reload', async () => {
  const b = await openBrowser();
  try {
    const { page, context } = b;
    await ready(page);
    await page.keyboard.press('j');
    await page.keyboard.press('a');
    await waitSaved(page, 1);
    const other = await otherTab(context);
    const opened = await other.evaluate(() => new Promise((resolve, reject) => {
      let blocked = false;
      const open = indexedDB.open('agent-flan-explorer', 2);
      open.onblocked = () => { blocked = true; };
      open.onsuccess = () => {
        const db = open.result;
        const get = db.transaction('annotations', 'readonly').objectStore('annotations').getAll();
        get.onsuccess = () => { db.close(); resolve({ blocked, records: get.result.length }); };
      };
      open.onerror = () => reject(open.error);
    }));
    assert.deepEqual(opened, { blocked: false, records: 1 }, 'the newer tab opened at once, and the saved label is there');
    await page.locator('[data-testid=save-state][data-state=failed]').waitFor();
    assert.match(await page.getByTestId('save-error').innerText(), /Another tab opened a newer version of this site.*Reload this tab/);
    // A change made now cannot be saved, and is not shown as saved.
    await page.keyboard.press('x');
    await page.getByTestId('save-unsaved').waitFor();
    assert.match(await page.getByTestId('save-unsaved').innerText(), /1 change is not saved: kept in this tab and in Undo, but this tab cannot save it/);
    assert.equal(await page.locator('[data-testid=save-state]').getAttribute('data-state'), 'failed');
    await screenshot(page, 'annotation-version-change');
  } finally { await b.close(); }
});

test('after a failed write the change stays in Undo, is written again, and "saved" comes back', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await ready(page);
    await page.keyboard.press('j');
    await page.getByTestId('sample-view').waitFor();
    // The next put fails, as a disk error would.
    const failNextPut = () => page.evaluate(() => {
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function () {
        IDBObjectStore.prototype.put = put;
        throw new DOMException('simulated disk failure', 'UnknownError');
      };
    });
    await failNextPut();
    await page.keyboard.press('a');
    await page.getByTestId('save-unsaved').waitFor();
    assert.match(await page.getByTestId('save-error').innerText(), /simulated disk failure\. The last change was NOT saved\. 1 change is not saved: kept in this tab and in Undo/);
    assert.equal(await page.getByTestId('undo').isEnabled(), true);
    await screenshot(page, 'annotation-write-failed');
    await page.getByTestId('save-retry').click();
    await waitSaved(page, 1);
    // A second failure is written again with the next change.
    await failNextPut();
    await page.keyboard.press('x');
    await page.getByTestId('save-unsaved').waitFor();
    assert.equal(await page.locator('[data-testid=save-state]').getAttribute('data-state'), 'failed');
    await page.keyboard.press('f');
    await waitSaved(page, 3);
    assert.equal(await page.locator('[data-testid=save-state]').getAttribute('data-count'), '3');
    await page.reload();
    await ready(page);
    assert.equal((await progress(page)).done, 3);
    for (const value of ['accepted', 'rejected', 'flagged']) assert.equal(await facetCount(page, value), 1, value);
  } finally { await b.close(); }
});

test('span labels store the selected occurrence; selections across turns and 1–4 on user turns are refused', async () => {
  const b = await openBrowser();
  const dir = mkdtempSync(path.join(tmpdir(), 'afe-span-'));
  const assistant = 'Thought: é 🚀 the cat sat.\nAction: look\nAction Input: {"q": "the cat", "n": 2}\nthe cat ran. the cat slept.';
  const row = { id: 'span_1', conversation: [{ role: 'user', content: 'Tell me about the cat.' }, { role: 'assistant', content: assistant }] };
  try {
    const { page } = b;
    const file = path.join(dir, 'spans.jsonl');
    writeFileSync(file, JSON.stringify(row) + '\n');
    await ready(page, `${BASE_URL}/?s=span_1`);
    await page.getByTestId('file-input').setInputFiles(file);
    await page.locator('[data-testid=sample-view][data-id=span_1]').waitFor();
    const turn = (i) => page.locator(`[data-testid=turn][data-turn="${i}"]`);

    // 1–4 with no focused turn, then on the user turn: nothing changes, and the page says why.
    await page.keyboard.press('1');
    assert.match(await page.getByTestId('label-notice').innerText(), /click an assistant turn first/);
    await turn(0).click();
    await page.keyboard.press('1');
    assert.match(await page.getByTestId('label-notice').innerText(), /^Turn #0 is not an assistant turn/);
    assert.equal(await page.getByTestId('annotation-status').innerText(), 'unlabelled');
    assert.equal((await progress(page)).done, 0);
    await screenshot(page, 'annotation-key-on-user-turn');
    await turn(1).click();
    await page.keyboard.press('1');
    await turn(1).locator('[data-testid=turn-cap-reasoning][aria-pressed=true]').waitFor();

    // Selects `needle` in the text node of turn `from` that contains `within` (its `nth` match
    // there), through to turn `to`'s text.
    const select = (from, within, needle, to = from) => page.evaluate(({ from, within, needle, to }) => {
      const body = (i) => document.querySelector(`[data-testid=turn][data-turn="${i}"] .turn-body`);
      const nodes = (el) => { const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); const out = []; while (w.nextNode()) out.push(w.currentNode); return out; };
      const start = nodes(body(from)).find((n) => n.textContent.includes(within));
      const at = start.textContent.indexOf(within) + within.indexOf(needle);
      const range = document.createRange();
      range.setStart(start, at);
      if (to === from) range.setEnd(start, at + needle.length);
      else { const last = nodes(body(to)).at(-1); range.setEnd(last, 3); }
      const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    }, { from, within, needle, to });
    const labelSpan = (i) => turn(i).locator('[data-testid=label-span]').click();

    // The third "the cat", after the pretty-printed JSON block and two equal words before it.
    await select(1, 'the cat slept', 'the cat');
    await labelSpan(1);
    await turn(1).locator('[data-testid=span-label]').waitFor();
    // Inside the JSON block: the span is the block's own text.
    await select(1, '"q": "the cat"', 'the cat');
    await labelSpan(1);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=turn][data-turn="1"] [data-testid=span-label]').length === 2);
    // Across the user and assistant turns, and in the user turn with the assistant's button.
    await select(0, 'the cat', 'the cat', 1);
    await labelSpan(1);
    assert.match(await turn(1).getByTestId('span-error').innerText(), /runs across turns/);
    await select(0, 'the cat', 'the cat');
    await labelSpan(1);
    assert.match(await turn(1).getByTestId('span-error').innerText(), /not in this turn/);
    await page.locator('[data-testid=save-state][data-state=saved][data-count="1"]').waitFor();
    await screenshot(page, 'annotation-spans');

    await page.locator('.export-menu').evaluate((d) => { d.open = true; });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-annotations').click()]);
    const out = path.join(dir, 'out.jsonl');
    await download.saveAs(out);
    const exported = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(exported.length, 1);
    const chars = (s) => [...s].length;
    const last = assistant.lastIndexOf('the cat');
    const json = '{"q": "the cat", "n": 2}';
    const spans = exported[0].spans.map(({ turn, start, end, text }) => ({ turn, start, end, text }));
    assert.deepEqual(spans.sort((p, q) => p.start - q.start), [
      { turn: 1, start: chars(assistant.slice(0, assistant.indexOf(json))), end: chars(assistant.slice(0, assistant.indexOf(json))) + chars(json), text: json },
      { turn: 1, start: chars(assistant.slice(0, last)), end: chars(assistant.slice(0, last)) + 7, text: 'the cat' },
    ]);
    assert.equal(exported[0].turns['0'], undefined, 'nothing was stored for the user turn');
  } finally { await b.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('the keyboard help opens from a visible button as well as from ?', async () => {
  const b = await openBrowser();
  try {
    const { page } = b;
    await ready(page);
    const button = page.getByTestId('help-button');
    assert.equal(await button.isVisible(), true);
    assert.match(await button.innerText(), /Keyboard shortcuts/);
    await button.click();
    const overlay = page.getByTestId('help-overlay');
    await overlay.waitFor();
    assert.match(await overlay.innerText(), /1 – 4\s+capability of the focused assistant turn/);
    await screenshot(page, 'annotation-help');
    await overlay.click();
    await overlay.waitFor({ state: 'detached' });
    // The button gave the focus back: keys are shortcuts again.
    await page.keyboard.press('?');
    await overlay.waitFor();
    await page.keyboard.press('Escape');
    await overlay.waitFor({ state: 'detached' });
    assert.deepEqual(b.errors, []);
  } finally { await b.close(); }
});
