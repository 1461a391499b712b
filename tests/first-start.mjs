// tools/first_start.sh's browser: opens the page at the given address in
// Debian's headless Chromium, presses Start and waits for the default
// demo's full 5×5 matrix; prints how long each took and the diagonal.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const url = process.argv[2];
const profile = await mkdtemp(join(tmpdir(), 'palimpsest-first-start-'));
const b = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = b.pages()[0] ?? await b.newPage();
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 300_000 });
  const ready = (Date.now() - t0) / 1000;
  await page.click('[data-testid=start]');
  await page.waitForFunction(() => document.querySelectorAll('.results [data-testid=acc-matrix] [data-value]').length === 25
    && /finished/.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 600_000 });
  const diag = await page.$$eval('.results [data-testid=acc-matrix] [data-value]',
    (els) => [0, 6, 12, 18, 24].map((i) => Number(els[i].dataset.value).toFixed(2)));
  const badge = await page.textContent('[data-testid=backend]');
  console.log(`first_start: page ready ${ready.toFixed(1)} s after load, the demo trained ${((Date.now() - t0) / 1000).toFixed(1)} s after load (${badge}); diagonal ${diag.join(' ')}`);
} finally {
  await b.close();
  await rm(profile, { recursive: true, force: true });
}
