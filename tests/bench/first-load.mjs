// First-load benchmark: gzip sizes of the bundle, and in Chromium the time to first paint and
// to the first sample list, cold (empty profile) and warm (second visit: HTTP cache and
// service worker). Prints JSON. Usage: node tests/bench/first-load.mjs BASE_URL DIST_DIR
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { openBrowser } from '../e2e/helpers.mjs';

const [baseUrl, dist] = process.argv.slice(2);
const files = readdirSync(dist).filter((f) => /\.(wasm|js|css)$/.test(f) && statSync(path.join(dist, f)).isFile());
const sizes = files.map((f) => {
  const bytes = readFileSync(path.join(dist, f));
  return { file: f, bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length };
});
const explorerGzip = sizes.filter((s) => /^app-.*\.(wasm|js)$/.test(s.file)).reduce((a, s) => a + s.gzip_bytes, 0);

async function visit(page) {
  const start = Date.now();
  await page.goto(`${baseUrl}/`);
  await page.getByTestId('result-row').first().waitFor({ timeout: 60_000 });
  const wall = Date.now() - start;
  return page.evaluate((wallMs) => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null;
    const nav = performance.getEntriesByType('navigation')[0];
    return { first_contentful_paint_ms: paint && Math.round(paint), dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd),
      first_sample_list_ms: Math.round(performance.now()), wall_ms_from_goto: wallMs };
  }, wall);
}

const runs = [];
for (let i = 0; i < 3; i++) {
  const b = await openBrowser({ webgpu: false });
  const cold = await visit(b.page);
  await b.page.evaluate(async () => { await navigator.serviceWorker?.ready; });
  const warm = await visit(b.page);
  runs.push({ cold, warm });
  await b.close();
}
const median = (key, kind) => runs.map((r) => r[kind][key]).sort((a, b) => a - b)[1];
console.log(JSON.stringify({
  environment: 'chromium (headless, localhost, this machine)',
  explorer_wasm_js_gzip_bytes: explorerGzip,
  target_explorer_gzip_bytes: 1_500_000,
  files: sizes,
  cold: { first_contentful_paint_ms: median('first_contentful_paint_ms', 'cold'), first_sample_list_ms: median('first_sample_list_ms', 'cold') },
  warm: { first_contentful_paint_ms: median('first_contentful_paint_ms', 'warm'), first_sample_list_ms: median('first_sample_list_ms', 'warm') },
  runs,
}));
