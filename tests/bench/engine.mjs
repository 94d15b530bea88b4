// Engine benchmark in Chromium (WebGPU): load time of the demo model (cold: download + cache +
// GPU upload; warm: from the model cache), then prefill and decode tok/s for a fixed prompt, as
// the page measures them. Prints one JSON line. Usage:
//   node tests/bench/engine.mjs BASE_URL [PROMPT_WORDS] [DECODE_TOKENS]
import { openBrowser } from '../e2e/helpers.mjs';

const [baseUrl, words = '64', decode = '32'] = process.argv.slice(2);
// The same prompt `./x bench` gives the native flan-infer (`--prompt`).
const prompt = Array.from({ length: Number(words) }, (_, i) => ['agent', 'tool', 'data', 'model'][i % 4]).join(' ');

const b = await openBrowser();
try {
  const { page } = b;
  const load = async () => {
    const t0 = Date.now();
    await page.getByTestId('load-demo').click();
    await page.getByTestId('engine-status').filter({ hasText: /^Ready/ }).waitFor({ timeout: 600_000 });
    return (Date.now() - t0) / 1000;
  };
  await page.goto(`${baseUrl}/playground`);
  const cold_load_s = await load();
  await page.reload();
  const warm_load_s = await load();
  await page.getByTestId('gen-settings').locator('summary').click();
  await page.getByTestId('template').selectOption('raw');
  await page.getByTestId('max-tokens').fill(decode);
  await page.getByTestId('system-prompt').fill('');
  await page.getByTestId('chat-input').fill(prompt);
  await page.getByTestId('chat-send').click();
  const stats = page.getByTestId('chat').getByTestId('chat-stats').and(page.locator('[data-tokens]'));
  await stats.waitFor({ timeout: 600_000 });
  const text = await stats.innerText();
  const prompt_tokens = Number(/prompt (\d+) tokens/.exec(text)[1]);
  const prefill_s = Number(/in ([\d.]+) s/.exec(text)[1]);
  const decode_tok_s = Number(/decode ([\d.]+) tok\/s/.exec(text)[1]);
  const adapter = /on (.*?);/.exec(await page.getByTestId('engine-status').innerText())?.[1];
  console.log(JSON.stringify({
    where: 'chromium', adapter, cold_load_s, warm_load_s, prefill_tokens: prompt_tokens,
    prefill_tok_s: prompt_tokens / prefill_s, decode_tokens: Number(decode) - 1, decode_tok_s,
  }));
} finally {
  await b.close();
}
