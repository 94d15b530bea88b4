// The app shell: every route loads from a deep link, navigation works, WebGPU is found.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await openBrowser(); });
after(async () => { await browser?.close(); });

test('the WebGPU panel finds the SwiftShader adapter and its limits', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/playground`);
  const name = page.getByTestId('adapter-name');
  await name.waitFor({ timeout: 30_000 });
  assert.match(await name.innerText(), /swiftshader/i);
  assert.equal(await page.getByTestId('limit-binding').innerText(), '1 GiB');
  assert.equal(await page.getByTestId('limit-buffer').innerText(), '1 GiB');
  assert.match(await page.getByTestId('shader-f16').innerText(), /^no/);
  assert.match(await page.getByTestId('gpu-badge-name').innerText(), /swiftshader/i);
  await screenshot(page, 'shell-playground-webgpu');
});

test('every route loads directly from a deep link and from the top navigation', async () => {
  const { page, errors } = browser;
  const routes = [
    ['/', 'explorer-page', 'Explorer'],
    ['/playground', 'playground-page', 'Agent playground'],
    ['/stats', 'stats-page', 'Stats'],
    ['/about', 'about-page', 'About'],
  ];
  for (const [path, testId] of routes) {
    await page.goto(`${BASE_URL}${path}`);
    await page.getByTestId(testId).waitFor({ timeout: 30_000 });
    await screenshot(page, `shell-route-${path === '/' ? 'explorer' : path.slice(1)}`);
  }
  await page.goto(`${BASE_URL}/about`);
  for (const [path, testId, label] of routes) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
    await page.getByTestId(testId).waitFor();
    assert.equal(new URL(page.url()).pathname, path);
  }
  await page.goBack();
  await page.getByTestId('stats-page').waitFor();
  assert.deepEqual(errors, []);
});

test('an unknown path shows a not-found page with a way back', async () => {
  const { page } = browser;
  await page.goto(`${BASE_URL}/no/such/page`);
  await page.getByText('Page not found').waitFor();
});

test('a Chromium without WebGPU explains how to enable it, and the explorer and labelling still work', async () => {
  const plain = await openBrowser({ webgpu: false });
  try {
    await plain.page.goto(`${BASE_URL}/playground`);
    const notice = plain.page.getByTestId('webgpu-missing');
    await notice.waitFor({ timeout: 30_000 });
    assert.match(await notice.innerText(), /chrome:\/\/flags/);
    assert.equal(await plain.page.getByTestId('load-demo').isDisabled(), true, 'no model loading without WebGPU');
    await screenshot(plain.page, 'shell-playground-no-webgpu');
    // The explorer and labelling need no WebGPU at all.
    await plain.page.goto(`${BASE_URL}/?task=os`);
    await plain.page.getByTestId('result-row').first().waitFor({ timeout: 30_000 });
    await plain.page.keyboard.press('j');
    await plain.page.keyboard.press('a');
    await plain.page.locator('[data-testid=save-state][data-state=saved]').waitFor({ timeout: 30_000 });
    assert.match(await plain.page.getByTestId('label-progress').innerText(), /^1 \//);
  } finally {
    await plain.close();
  }
});
