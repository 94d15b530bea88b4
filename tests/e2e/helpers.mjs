// Shared Playwright set-up: Debian's Chromium (never a downloaded browser), WebGPU on SwiftShader.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BASE_URL = process.env.AFE_BASE_URL ?? 'http://127.0.0.1:8125';
export const SCREENSHOT_DIR = process.env.AFE_SCREENSHOTS
  ? path.resolve(process.env.AFE_SCREENSHOTS)
  // Beside the tests, whatever the working directory.
  : fileURLToPath(new URL('../output/screenshots/', import.meta.url));
mkdirSync(SCREENSHOT_DIR, { recursive: true });

const COMMON_ARGS = ['--no-sandbox', '--headless=new', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Opens a fresh browser profile. `webgpu: false` gives a Chromium with no WebGPU adapter. */
export async function openBrowser({ webgpu = true, userDataDir } = {}) {
  const dir = userDataDir ?? mkdtempSync(path.join(tmpdir(), 'afe-e2e-'));
  const args = [...COMMON_ARGS];
  if (webgpu) args.push('--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader');
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.AFE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    ignoreDefaultArgs: ['--headless'],
    args,
    viewport: { width: 1440, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/favicon|integrity/.test(m.text())) errors.push(m.text()); });
  return {
    context, page, errors, userDataDir: dir,
    async close({ keepProfile = false } = {}) {
      await context.close();
      if (!keepProfile && !userDataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** The main Chromium process of a browser started on `profile` (not its renderers or helpers). */
export function browserPid(profile) {
  const lines = execFileSync('ps', ['-ww', '-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n');
  const main = lines.filter((l) => l.includes(`--user-data-dir=${profile}`) && !l.includes('--type='));
  assert.equal(main.length, 1, `one browser process on ${profile}: ${main.join(' | ')}`);
  return Number(main[0].trim().split(/\s+/)[0]);
}
