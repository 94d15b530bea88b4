// The agent playground against the demo model served by the site, on SwiftShader WebGPU:
// load (download → cache → GPU), greedy tokens against llama.cpp's (which the native engine
// matches in model-wasm/tests/e2e.rs), the agent's tool prompt, the model cache across reloads,
// clear messages for bad models, "try this sample", and one real probe step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, copyFileSync, existsSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot } from './helpers.mjs';

const DIST = process.env.AFE_DIST ?? 'dist';
const DEMO = path.join(DIST, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
const fixture = JSON.parse(readFileSync(new URL('../../model-wasm/tests/fixtures/smollm2_generation.json', import.meta.url)));
const plain = fixture.cases.find((c) => c.name === 'plain');
// Tokens compared in the browser (SwiftShader is slow; the native suite checks all 32).
const N_TOKENS = 12;
const LOAD_TIMEOUT = 300_000;
const GENERATE_TIMEOUT = 300_000;
// One agent step: a ~300-token ReAct prompt on SwiftShader.
const AGENT_TIMEOUT = 600_000;

let browser;
before(async () => {
  assert.ok(existsSync(DEMO), `the demo model is not in the bundle (${DEMO}); ./x setup fetches it`);
  // A GGUF cut in the middle of its tensor data, and a file that is not a GGUF at all.
  const head = Buffer.alloc(4 << 20);
  const fd = openSync(DEMO, 'r');
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  writeFileSync(path.join(DIST, 'models', 'truncated.gguf'), head);
  copyFileSync(path.join(DIST, 'data', 'default.jsonl'), path.join(DIST, 'models', 'not-a-model.gguf'));
  browser = await openBrowser();
});
after(async () => { await browser?.close(); });

async function waitReady(page) {
  await page.getByTestId('engine-status').filter({ hasText: /^Ready/ }).waitFor({ timeout: LOAD_TIMEOUT });
  return page.getByTestId('engine-status').innerText();
}

async function loadDemo(page) {
  await page.goto(`${BASE_URL}/playground`);
  await page.getByTestId('adapter-name').waitFor({ timeout: 30_000 });
  await page.getByTestId('load-demo').click();
  return waitReady(page);
}

test('the demo model downloads with progress, is cached, and greedy tokens match llama.cpp', async () => {
  const { page, errors } = browser;
  const started = Date.now();
  const status = await loadDemo(page);
  assert.match(status, /SmolLM2-135M-Instruct\.Q4_1\.gguf/);
  assert.match(status, /downloaded and cached for next time/);
  assert.match(status, /swiftshader/i);
  assert.match(status, /template ChatML/);
  console.log(`# demo model ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await screenshot(page, 'playground-loaded');

  await page.getByTestId('gen-settings').locator('summary').click();
  await page.getByTestId('template').selectOption('raw');
  await page.getByTestId('max-tokens').fill(String(N_TOKENS));
  await page.getByTestId('system-prompt').fill('');
  await page.getByTestId('chat-input').fill(plain.text);
  await page.getByTestId('chat-send').click();
  const stats = page.getByTestId('chat').getByTestId('chat-stats');
  await stats.and(page.locator('[data-tokens]')).waitFor({ timeout: GENERATE_TIMEOUT });
  const tokens = JSON.parse(await stats.getAttribute('data-tokens'));
  assert.deepEqual(tokens, plain.greedy_ids.slice(0, N_TOKENS));
  const reply = await page.getByTestId('chat-assistant').last().locator('.turn-body').innerText();
  assert.equal(reply.trim(), plain.greedy_pieces.slice(0, N_TOKENS).join('').trim());
  console.log(`# ${await stats.innerText()}`);
  await page.getByTestId('chat').getByTestId('chat-stats').scrollIntoViewIfNeeded();
  await screenshot(page, 'playground-greedy');
  assert.deepEqual(errors, []);
});

test('agent mode offers exactly the checked tools in Lagent\'s ReAct system prompt', async () => {
  // Running the loop itself is covered natively (react-agent); here the page must build the
  // prompt the model gets from the tools the user picked.
  const { page } = browser;
  await page.getByTestId('mode-agent').click();
  for (const tool of ['date_time', 'unit_converter', 'dataset_search']) await page.getByTestId(`tool-${tool}`).uncheck();
  const prompt = page.getByTestId('agent').locator('details pre');
  await page.getByTestId('agent').locator('details summary').click();
  const text = await prompt.innerText();
  assert.match(text, /^You are a assistant who can utilize external tools\./);
  assert.match(text, /Action: the tool name, should be one of \[calculator\]/);
  assert.match(text, /"name":"calculator"/);
  assert.doesNotMatch(text, /unit_converter|date_time|dataset_search/);
  await page.getByTestId('tool-calculator').uncheck();
  assert.equal(await page.getByTestId('agent-run').isDisabled(), true, 'no tools, no run');
  await page.getByTestId('tool-calculator').check();
  await page.getByTestId('agent-question').scrollIntoViewIfNeeded();
  await screenshot(page, 'playground-agent');
});

test('one agent step: the model writes the calculator\'s input, the tool runs in the page, the trace shows the call', async () => {
  // The demo model (135M) does not follow the ReAct format unprompted: natively, given this
  // prompt, it answers "1234 * 5678 = 73556" with no Action, and a bare "Thought:" start gives
  // an Action line naming no tool. So the reply is started up to "Action Input:" (the
  // playground's "reply starts with" field) and the model writes the arguments; parsing them,
  // running the calculator in the page and tracing the call is what this checks.
  const { page, errors } = browser;
  await page.getByTestId('template').selectOption('auto');
  await page.getByTestId('max-tokens').fill('24');
  await page.getByTestId('step-limit').fill('1');
  await page.getByTestId('agent-reply-prefix').fill('Thought: I need to multiply, so I use the calculator.\\nAction: calculator\\nAction Input:');
  const started = Date.now();
  await page.getByTestId('agent-run').click();
  const call = page.getByTestId('trace-call');
  await call.waitFor({ timeout: AGENT_TIMEOUT });
  assert.equal(await call.getAttribute('data-tool'), 'calculator');
  const input = (await call.locator('code').first().innerText()).trim();
  const observation = (await page.getByTestId('trace-observation').innerText()).trim();
  console.log(`# agent step in ${((Date.now() - started) / 1000).toFixed(0)} s: calculator(${input}) = ${observation}`);
  assert.ok(input.length > 0, 'the model wrote an Action Input');
  assert.equal(await call.getAttribute('data-ok'), 'true', `the calculator evaluated ${input}: ${observation}`);
  // Plain arithmetic: the observation is its value, computed here independently.
  const expr = input.replace(/^\{\s*"expression"\s*:\s*"(.*)"\s*\}$/, '$1');
  if (/^[\d\s+\-*\/().]+$/.test(expr)) assert.equal(Number(observation), Function(`return (${expr})`)());
  await page.getByTestId('agent-outcome').waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId('agent-outcome').innerText(), /step limit \(1\)/);
  await page.getByTestId('agent-trace').scrollIntoViewIfNeeded();
  await screenshot(page, 'playground-agent-step');
  assert.deepEqual(errors, []);
});

test('after a reload the model comes from the browser cache, is listed, and can be deleted', async () => {
  const { page } = browser;
  await page.reload();
  await page.getByTestId('cached-models').locator('summary').click();
  const row = page.getByTestId('cached-model');
  await row.first().waitFor({ timeout: 30_000 });
  assert.match(await row.first().innerText(), /SmolLM2-135M-Instruct\.Q4_1\.gguf/);
  assert.match(await row.first().innerText(), new RegExp(`${(statSync(DEMO).size / 2 ** 20).toFixed(1)} MiB`));
  assert.match(await page.getByTestId('storage-quota').innerText(), /This site uses/);
  const started = Date.now();
  await page.getByTestId('load-demo').click();
  const status = await waitReady(page);
  assert.match(status, /from this browser's cache/);
  console.log(`# cached demo model ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await page.getByTestId('cached-model-delete').first().click();
  await page.getByText('None yet').waitFor({ timeout: 10_000 });
});

test('a missing file, a truncated GGUF and a file that is not a GGUF each get a clear message', async () => {
  const { page } = browser;
  for (const [file, expected] of [
    ['no-such-model.gguf', /404/],
    ['truncated.gguf', /truncat|past the end/i],
    ['not-a-model.gguf', /magic|not a GGUF/i],
  ]) {
    await page.getByTestId('model-url').fill(`${BASE_URL}/models/${file}`);
    await page.getByTestId('model-url-load').click();
    const error = page.getByTestId('engine-error');
    await error.waitFor({ timeout: 60_000 });
    assert.match(await error.innerText(), expected, file);
  }
  await screenshot(page, 'playground-bad-model');
});

test('"Try in playground" from the explorer fills in the sample and shows the dataset answer beside', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/?s=${encodeURIComponent('toolbench_G1_query_1:neg-no-tools')}`);
  await page.getByTestId('sample-view').waitFor({ timeout: 30_000 });
  await page.getByTestId('try-link').click();
  await page.getByTestId('try-sample').waitFor({ timeout: 30_000 });
  assert.equal(new URL(page.url()).pathname, '/playground');
  const sample = JSON.parse(readFileSync('public/data/default.jsonl', 'utf8').split('\n').find((l) => l.includes('"toolbench_G1_query_1:neg-no-tools"')));
  const turn = (role) => sample.conversation.find((t) => t.role === role).content;
  assert.equal(await page.getByTestId('system-prompt').inputValue(), turn('system'));
  assert.equal(await page.getByTestId('chat-input').inputValue(), turn('user'));
  assert.equal((await page.getByTestId('dataset-answer').locator('.turn-body').innerText()).trim(), turn('assistant').trim());
  await page.getByTestId('chat-input').scrollIntoViewIfNeeded();
  await screenshot(page, 'playground-try-sample');
});

test('the hallucination probe runs on the explorer filter\'s negatives and judges each answer', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/?neg=no_tools`);
  await page.getByTestId('result-count').waitFor();
  const total = Number((await page.getByTestId('result-count').innerText()).split(' ')[0]);
  await page.getByTestId('probe-link').click();
  await page.getByTestId('probe-available').filter({ hasText: `${total} negative samples match` }).waitFor({ timeout: 30_000 });
  await page.getByTestId('load-demo').click();
  await waitReady(page);
  await page.getByTestId('gen-settings').locator('summary').click();
  await page.getByTestId('max-tokens').fill('8');
  await page.getByTestId('probe-limit').fill('1');
  await page.getByTestId('probe-run').click();
  const row = page.getByTestId('probe-row');
  await row.first().waitFor({ timeout: GENERATE_TIMEOUT });
  assert.match(await row.first().innerText(), /no tool call|hallucinated tool|called offered tool/);
  assert.match(await page.getByTestId('probe-report').innerText(), /^1 samples: /);
  await page.getByTestId('probe-report').scrollIntoViewIfNeeded();
  await screenshot(page, 'playground-probe');
});

test('offline after one visit, the playground and a cached model still work', async () => {
  const b = await openBrowser();
  try {
    const { page, context } = b;
    await page.goto(`${BASE_URL}/playground`);
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30_000 });
    await page.getByTestId('load-demo').click();
    assert.match(await waitReady(page), /downloaded and cached/);
    await context.setOffline(true);
    await page.reload();
    await page.getByTestId('load-demo').click();
    assert.match(await waitReady(page), /from this browser's cache/);
    await screenshot(page, 'playground-offline');
    await context.setOffline(false);
  } finally { await b.close(); }
});
