// Durability of the model cache: a browser killed while a model is being downloaded into the
// Cache API must not leave a copy that later loads as if it were complete. The model comes from
// a throttled server (another origin, with CORS, as a model URL from the web would), so the
// kill lands mid-download; after a restart on the same profile the model must download again
// (a partial entry, if the browser kept one, is reported as discarded) and load.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot, browserPid } from './helpers.mjs';

const DIST = process.env.AFE_DIST ?? 'dist';
const MODEL = 'SmolLM2-135M-Instruct.Q4_1.gguf';
// Bytes per second while throttled: the 98 MB model then takes about a minute.
const SLOW_RATE = 1_500_000;

// A static server for the model: throttled until /fast is requested. CORS allows any page.
const SERVER = `
import http.server, os, sys, time
root, port, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
state = {"slow": True}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path == "/fast":
            state["slow"] = False
            self.send_response(204); self.send_header("Access-Control-Allow-Origin", "*"); self.end_headers(); return
        p = os.path.join(root, os.path.basename(self.path))
        if not os.path.isfile(p):
            self.send_response(404); self.send_header("Access-Control-Allow-Origin", "*"); self.end_headers(); return
        size = os.path.getsize(p)
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 18):
                try: self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError): return
                if state["slow"]: time.sleep(len(chunk) / rate)
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
`;

let server;
let modelUrl;
let fastUrl;
before(async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  server = spawn('python3', ['-c', SERVER, path.join(DIST, 'models'), String(port), String(SLOW_RATE)], { stdio: 'inherit' });
  modelUrl = `http://127.0.0.1:${port}/${MODEL}`;
  fastUrl = `http://127.0.0.1:${port}/fast`;
  for (let i = 0; i < 50; i++) {
    try { await fetch(`http://127.0.0.1:${port}/missing`); return; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error('the throttled model server did not start');
});
after(() => server?.kill());

async function loadByUrl(page) {
  await page.goto(`${BASE_URL}/playground`);
  await page.getByTestId('adapter-name').waitFor({ timeout: 30_000 });
  await page.getByTestId('model-url').fill(modelUrl);
  await page.getByTestId('model-url-load').click();
}

test('a browser killed mid-download leaves no model copy that loads as complete', async (t) => {
  const profile = mkdtempSync(path.join(tmpdir(), 'afe-cache-kill-'));
  try {
    let b = await openBrowser({ userDataDir: profile });
    await loadByUrl(b.page);
    // Kill once a fifth or so has arrived: well inside the download and the cache write.
    const progress = b.page.getByTestId('model-progress');
    await progress.waitFor({ timeout: 60_000 });
    const deadline = Date.now() + 120_000;
    let fraction = 0;
    while (Date.now() < deadline) {
      fraction = Number(await progress.locator('progress').getAttribute('value').catch(() => '0'));
      if (fraction > 0.2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(fraction > 0.2 && fraction < 0.9, `killed at ${(fraction * 100).toFixed(0)}% of the download`);
    await screenshot(b.page, 'model-cache-before-kill');
    process.kill(browserPid(profile), 'SIGKILL');
    await b.context.close().catch(() => {});
    t.diagnostic(`browser killed at ${(fraction * 100).toFixed(0)}% of the download`);

    // Downloads are full speed from here on.
    await fetch(fastUrl);
    b = await openBrowser({ userDataDir: profile });
    await loadByUrl(b.page);
    const status = b.page.getByTestId('engine-status');
    await status.filter({ hasText: /^Ready/ }).waitFor({ timeout: 300_000 });
    const text = await status.innerText();
    t.diagnostic(text);
    assert.doesNotMatch(text, /from this browser's cache/, 'a partial download must not load as a cached model');
    assert.match(text, /downloaded and cached for next time|an incomplete cached copy \(\d+ of \d+ bytes\) was discarded/);
    // And now the complete copy is the cached one.
    await b.page.reload();
    await b.page.getByTestId('adapter-name').waitFor({ timeout: 30_000 });
    await b.page.getByTestId('cached-models').locator('summary').click();
    const row = b.page.getByTestId('cached-model').filter({ hasText: MODEL });
    await row.first().waitFor({ timeout: 30_000 });
    // The full size (93.7 MiB), not a part of it.
    const size = statSync(path.join(DIST, "models", MODEL)).size / 2 ** 20;
    assert.match(await row.first().innerText(), new RegExp(`${size.toFixed(1)} MiB`));
    await screenshot(b.page, 'model-cache-after-kill');
    assert.deepEqual(b.errors.filter((e) => !/ERR_|net::/.test(e)), []);
    await b.close();
  } finally { rmSync(profile, { recursive: true, force: true }); }
});
