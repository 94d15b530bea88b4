// Explorer benchmark in Chromium: the real page loads a generated Agent-FLAN-shaped file
// through its "open URL" path, then filters and searches. Prints JSON.
// Usage: node tests/bench/explorer.mjs BASE_URL FILE_URL ROWS
import { openBrowser } from '../e2e/helpers.mjs';

const [baseUrl, fileUrl, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const browser = await openBrowser({ webgpu: false });
const { page } = browser;

async function filterMs() {
  return Number((await page.getByTestId('filter-ms').innerText()).replace(' ms', ''));
}
async function waitCount(predicate) {
  await page.waitForFunction(predicate, null, { timeout: 600_000, polling: 100 });
}

// Start from an empty explorer (the shipped rows are a rounding error next to these).
await page.goto(`${baseUrl}/`);
await page.getByTestId('load-status').filter({ hasText: 'done' }).first().waitFor({ timeout: 60_000 });
// Measure how long the main thread is blocked while the file streams in: the longest gap
// between animation frames is what a user feels as a freeze.
await page.evaluate(() => {
  window.__gaps = { max: 0, last: performance.now(), frames: 0 };
  const tick = (t) => { const g = window.__gaps; g.max = Math.max(g.max, t - g.last); g.last = t; g.frames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
});
const start = Date.now();
await page.getByTestId('url-input').fill(fileUrl);
await page.getByTestId('url-open').click();
const name = fileUrl.split('/').pop();
await page.locator(`[data-testid=load-status][data-phase=done]`).filter({ hasText: name }).waitFor({ timeout: 900_000 });
const loadSeconds = (Date.now() - start) / 1000;
const gaps = await page.evaluate(() => window.__gaps);
const memory = await page.evaluate(() => performance.memory ? performance.memory.usedJSHeapSize : null);
const memoryLine = await page.getByTestId('memory-use').innerText();

// The result header says which search text it answers and whether a (background) scan is
// still running; a latency is the wall time from the action to the final result, and the
// page's own figure (filter-ms: scan plus facet counts).
const settled = (text) => page.waitForFunction((t) => {
  const el = document.querySelector('[data-testid=result-count]');
  return el && el.dataset.pending === 'false' && el.dataset.query === t;
}, text, { timeout: 600_000, polling: 20 });
const measure = async (label, action) => {
  const samples = [];
  const walls = [];
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    const text = await action(i);
    await settled(text ?? '');
    walls.push(Date.now() - t0);
    samples.push(await filterMs());
  }
  samples.sort((a, b) => a - b);
  walls.sort((a, b) => a - b);
  return { label, median_ms: samples[2], min_ms: samples[0], max_ms: samples[4], wall_median_ms: walls[2], wall_max_ms: walls[4] };
};
// Longest main-thread gap between animation frames while a search runs (typing stays live).
const gapsDuring = async (action) => {
  await page.evaluate(() => {
    window.__searchGaps = { max: 0, last: performance.now() };
    const tick = (t) => { const g = window.__searchGaps; g.max = Math.max(g.max, t - g.last); g.last = t; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  await action();
  return Math.round(await page.evaluate(() => window.__searchGaps.max));
};
const facet = (kind, value) => page.locator(`[data-facet="${kind}"] button[data-value="${value}"]`);
const results = [];
results.push(await measure('filter+counts: toggle task=toolbench', async () => { await facet('task', 'toolbench').click(); return ''; }));
await page.goto(`${baseUrl}/`);
await page.locator(`[data-testid=load-status]`).first().waitFor();
// A reload empties the in-memory dataset; measure search on a fresh load.
await page.getByTestId('url-input').fill(fileUrl);
await page.getByTestId('url-open').click();
await page.locator(`[data-testid=load-status][data-phase=done]`).filter({ hasText: name }).waitFor({ timeout: 900_000 });
const words = ['weather', 'select', 'fridge', 'customs', 'price'];
results.push(await measure('plain search (any turn)', async (i) => { await page.getByTestId('search').fill(words[i]); return words[i]; }));
const searchGap = await gapsDuring(async () => { await page.getByTestId('search').fill('kitchen'); await settled('kitchen'); });
await page.getByTestId('regex-toggle').check();
const patterns = ['wea?ther\\b', 'select\\s+\\w+', 'fri[dg]+e', 'custom[s]?', 'pric(e|es)'];
results.push(await measure('regex search (any turn)', async (i) => { await page.getByTestId('search').fill(patterns[i]); return patterns[i]; }));

// Scrolling the virtualised list: frames per second while jumping through it.
await page.getByTestId('search').fill('');
await page.getByTestId('regex-toggle').uncheck();
const scroll = await page.evaluate(async () => {
  const list = document.querySelector('[data-testid=result-list]');
  const t0 = performance.now(); let frames = 0; let worst = 0; let last = t0;
  for (let i = 0; i < 120; i++) {
    list.scrollTop = (i / 120) * list.scrollHeight;
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now(); worst = Math.max(worst, now - last); last = now; frames++;
  }
  return { frames, seconds: (performance.now() - t0) / 1000, worst_frame_ms: worst, rows_in_dom: list.querySelectorAll('[data-testid=result-row]').length };
});
console.log(JSON.stringify({
  environment: 'chromium (headless, this machine)', rows, file: name,
  load_parse_index_seconds: loadSeconds, longest_frame_gap_during_load_ms: Math.round(gaps.max), frames_during_load: gaps.frames,
  js_heap_bytes: memory, memory: memoryLine, longest_frame_gap_during_search_ms: searchGap, latencies: results, scroll,
}));
await browser.close();
