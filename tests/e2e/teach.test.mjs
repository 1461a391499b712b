// Teaching with the app: the guided lesson by keys alone, presenter mode
// at a projector's 1280×720, a race, rewind and what-if, shared links,
// exports, and the notice for a learning rate that blows the loss up —
// one browser, in the order a speaker would use them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { session, shot, shots, cells, waitFull, outside, launch, clearSaved } from './harness.mjs';

const s = session();

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);
const pct = (v) => `${Math.round(v * 100)} %`;
/// The rows of the page's main matrix (results panel), as numbers.
const matrix = (page, scope = '.results') => page.$$eval(`${scope} [data-testid=acc-matrix] [data-value]`,
  (els) => els.map((e) => Number(e.dataset.value)));

test('the lesson goes through every step by key alone, and each training step quotes its run', { skip: !!process.env.SKIP_LESSON }, async () => {
  const { page } = s.b;
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`${s.srv.url}?device=cpu&lesson`);
  await page.waitForSelector('[data-testid=lesson]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  const step = () => page.$eval('[data-testid=lesson-step]', (e) => [Number(e.dataset.step), Number(e.dataset.steps)]);
  assert.deepEqual(await step(), [1, 10]);
  assert.match(await text(page, '.lesson-text'), /five tasks/);
  const lessonText = () => text(page, '.lesson-text');
  const idle = async () => page.waitForFunction(() => !/Training…/.test(document.querySelector('[data-testid=lesson-run]')?.textContent ?? ''), null, { timeout: 240_000 });
  const t0 = Date.now();
  // 2: task 1, quoted from the first cell
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /gets \d+ %/.test(document.querySelector('.lesson-text').textContent), null, { timeout: 120_000 });
  let m = await matrix(page);
  assert.match(await lessonText(), new RegExp(`gets ${pct(m[0])} of task 1`));
  await shot(page, '50-lesson-task-1');
  // 3: task 2: task 1's fall, in the run's own numbers
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /fell from/.test(document.querySelector('.lesson-text').textContent), null, { timeout: 120_000 });
  m = await matrix(page);
  assert.equal(m.length, 10, 'two rows of five');
  assert.match(await lessonText(), new RegExp(`task 1 fell from ${pct(m[0])} to ${pct(m[5])}`));
  assert.equal(await page.locator('.results .cell.marked').count(), 2, 'the two cells it reads are framed');
  assert.equal(await text(page, '[data-testid=lesson-next]'), 'Next →');
  assert.equal(await page.$eval('[data-testid=lesson-next]', (b) => b.disabled), false);
  await shot(page, '51-lesson-forgetting');
  // 4: the rest of the stream, and the metrics read off it
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /on average/.test(document.querySelector('.lesson-text').textContent), null, { timeout: 180_000 });
  m = await matrix(page);
  assert.equal(m.length, 25);
  const diag = [0, 6, 12, 18, 24].map((i) => m[i]);
  const uMean = diag.reduce((a, b) => a + b) / 5;
  assert.match(await lessonText(), new RegExp(`${pct(uMean)} on average`));
  assert.equal(await page.locator('.results .cell.marked').count(), 5, 'the diagonal is framed');
  // the teaching stream is learnt well: every task, and on average
  assert.ok(uMean >= 0.85, `mean U_k ${uMean}`);
  assert.ok(diag.every((u) => u >= 0.7), `U_k ${diag}`);
  assert.ok(m[20] < 0.3, `and forgotten: task 1 after task 5 ${m[20]}`);
  // 5–9: replay (with its memory shown), EWC, MSPT, relations, a new modality
  const quotes = [/Replay keeps .* task 1 is at \d+ % instead of \d+ %/, /EWC keeps no data.* A_5 is \d+ %/,
    /MSPT combines .* damped \d+ of \d+ steps/, /Fine-tuning forgets here too: \d+ points/, /keeps \d+ % of its expert's accuracy/];
  for (const [i, quote] of quotes.entries()) {
    await page.keyboard.press('ArrowRight');
    assert.equal((await step())[0], 5 + i);
    await page.waitForFunction((src) => new RegExp(src).test(document.querySelector('.lesson-text').textContent), quote.source, { timeout: 240_000 });
    if (i === 0) {
      assert.ok(await page.locator('[data-testid=memory] img').count() > 0, 'the memory\'s samples are shown');
      await shot(page, '52-lesson-replay');
    }
    assert.ok(await page.locator('.lesson a[href^="https://arxiv.org/"]').count() === 1, 'the method step links its paper');
  }
  await idle();
  // 10: a class of your own, added as a visitor's upload would be: 10 captioned pictures
  await page.keyboard.press('ArrowRight');
  assert.deepEqual(await step(), [10, 10]);
  await page.waitForFunction(() => /Right after its task, the model gets \d+ % of the held-out ones right/.test(document.querySelector('.lesson-text').textContent), null, { timeout: 240_000 });
  await idle();
  const trained = (Date.now() - t0) / 1000;
  console.log(`# the whole lesson by keys: ${trained.toFixed(0)} s of training`);
  m = await matrix(page);
  assert.equal(m.length, 36, 'the added class is a sixth task');
  const own = await lessonText();
  assert.match(own, new RegExp(`gets ${pct(m[35])} of the held-out ones right — and task 1, learnt first, is at ${pct(m[30])}`));
  assert.match(own, /10 pictures of drinks, each with a caption \(7 to learn from, 3 held out\)/);
  console.log(`# a class of 10 captioned pictures: ${pct(m[35])} of its held-out pairs`);
  assert.equal(await page.locator('.chip.custom').count(), 1, 'the timeline shows the added task as the visitor\'s');
  await shot(page, '54-lesson-own-class');
  await page.keyboard.press('ArrowLeft');
  assert.equal((await step())[0], 9);
  assert.equal(await page.locator('[data-testid=error]').count(), 0, (await page.locator('[data-testid=error]').allTextContents()).join(' | '));
  await shot(page, '53-lesson-modality');
  await page.keyboard.press('l');
  assert.equal(await page.locator('[data-testid=lesson]').count(), 0, 'l closes the lesson');
});

test('presenter mode at 1280×720 shows the matrix without scrolling, and every listed key works', async () => {
  const { page } = s.b;
  await clearSaved(s);
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${s.srv.url}?device=cpu`);
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  await page.keyboard.press('p');
  await page.waitForSelector('[data-testid=presenter]');
  // 1–4 choose a strategy (the page's selector follows)
  for (const [key, name] of [['2', 'replay'], ['3', 'ewc'], ['4', 'mspt'], ['1', 'finetune']]) {
    await page.keyboard.press(key);
    assert.equal(await page.$eval('[data-testid=strategy]', (e) => e.value), name, `key ${key}`);
  }
  // space starts; space pauses; space goes on
  await page.keyboard.press(' ');
  await page.waitForSelector('[data-testid=presenter] [data-testid=acc-matrix] [data-value]', { timeout: 60_000 });
  await page.keyboard.press(' ');
  await page.waitForFunction(() => /paused/.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 30_000 });
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=presenter] [data-testid=acc-matrix] [data-value]').length === 25
    && /finished/.test(document.querySelector('[data-testid=progress]').textContent), null, { timeout: 180_000 });
  const fit = await page.$eval('[data-testid=presenter]', (p) => {
    const m = p.querySelector('[data-testid=acc-matrix]').getBoundingClientRect();
    return { scroll: p.scrollHeight <= p.clientHeight + 1 && p.scrollWidth <= p.clientWidth + 1,
      inside: m.top >= 0 && m.left >= 0 && m.bottom <= innerHeight && m.right <= innerWidth, h: m.height };
  });
  await shot(page, '60-presenter');
  assert.ok(fit.scroll && fit.inside, JSON.stringify(fit));
  assert.ok(fit.h > 250, `the matrix fills the projector: ${fit.h} px high`);
  // ← and → scrub the task boundaries
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.$eval('[data-testid=timeline]', (e) => e.dataset.task), '3');
  assert.equal(await page.locator('[data-testid=presenter] [data-testid=acc-matrix] [data-value]').count(), 15);
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.$eval('[data-testid=timeline]', (e) => e.dataset.task), '4');
  await page.keyboard.press('ArrowRight');
  // ? lists the keys; Esc closes the list, then leaves presenter mode
  await page.keyboard.press('?');
  await page.waitForSelector('[data-testid=help]');
  assert.equal(await page.locator('[data-testid=help] tr').count(), 9);
  await shot(page, '61-keys');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('[data-testid=help]').count(), 0);
  // l opens the lesson inside presenter mode; l again closes it
  await page.keyboard.press('l');
  await page.waitForFunction(() => /A stream of tasks/.test(document.querySelector('[data-testid=presenter] h1').textContent));
  await page.keyboard.press('l');
  // r races the chosen strategies (checked under Compare: finetune, replay, mspt)
  await page.keyboard.press('r');
  await page.waitForSelector('[data-testid=race-lane]', { timeout: 30_000 });
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('[data-testid=presenter]').count(), 0);
  await page.keyboard.press('p');
  await page.waitForSelector('[data-testid=presenter]');
  await page.keyboard.press('p');
  assert.equal(await page.locator('[data-testid=presenter]').count(), 0);
});

test('a race of three strategies trains them at the same time, each lane equal to its run made alone', async () => {
  const { page } = s.b;
  await page.setViewportSize({ width: 1400, height: 1000 });
  // the race the key started above
  const lanes = () => page.$$eval('[data-testid=race-lane]', (ls) => ls.map((l) => ({
    rows: Number(l.dataset.rows), state: l.querySelector('.lane-state').textContent, label: l.querySelector('h3').textContent })));
  let together = false;
  const seen = [];
  for (let i = 0; i < 2400; i += 1) {
    const l = await lanes();
    seen.push(l.map((x) => x.rows).join(''));
    // every lane past its first task while none has finished: side by side, not one after another
    if (l.length === 3 && l.every((x) => x.rows >= 1) && l.every((x) => !/finished/.test(x.state))) together = true;
    if (l.length === 3 && l.every((x) => /finished/.test(x.state))) break;
    await page.waitForTimeout(100);
  }
  assert.ok(together, `the lanes progressed together: ${[...new Set(seen)].join(' ')}`);
  const done = await lanes();
  assert.deepEqual(done.map((l) => l.label.split(' ')[0]), ['finetune', 'replay', 'mspt']);
  assert.ok(done.every((l) => l.rows === 5));
  const laneCells = await page.$$eval('[data-testid=race-lane]', (ls) => ls.map((l) =>
    [...l.querySelectorAll('[data-testid=acc-matrix] [data-value]')].map((e) => e.dataset.value)));
  await page.locator('[data-testid=race-panel]').screenshot({ path: join(shots, '62-race.png') });
  await shot(page, '62-race-page');
  // the difference of two lanes, cell by cell
  const diff = await page.$$eval('[data-testid=race-diff] [data-diff]', (els) => els.map((e) => Number(e.dataset.diff)));
  assert.equal(diff.length, 25);
  diff.forEach((d, i) => assert.ok(Math.abs(d - (laneCells[0][i] - laneCells[1][i])) < 2e-4, `diff cell ${i}`));
  // the same three made one at a time on the page's worker
  for (const n of ['finetune', 'replay', 'joint', 'ewc', 'lwf', 'mspt']) {
    await page.setChecked(`[data-compare=${n}]`, ['finetune', 'replay', 'mspt'].includes(n));
  }
  const before = await page.locator('.run-card').count();
  await page.click('[data-testid=compare]');
  await page.waitForFunction((n) => document.querySelectorAll('.run-card').length === n + 3
    && [...document.querySelectorAll('.run-card')].slice(-3).every((c) => /finished/.test(c.textContent)), before, { timeout: 300_000 });
  for (const [i, card] of (await page.locator('.run-card').all()).slice(-3).entries()) {
    const alone = await card.locator('[data-value]').evaluateAll((els) => els.map((e) => e.dataset.value));
    assert.deepEqual(alone, laneCells[i], `lane ${i} equals its run made alone`);
  }
});

test('rewinding to task 2 shows its rows and attention; a what-if from there keeps the first two rows', async () => {
  const { page } = s.b;
  await page.click('.run-card:has-text("finetune") >> nth=-1 >> button');
  const original = await matrix(page);
  assert.equal(original.length, 25);
  await page.$eval('[data-testid=timeline] input', (e) => { e.value = '2'; e.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.waitForFunction(() => document.querySelector('[data-testid=timeline]').dataset.task === '2');
  assert.deepEqual(await matrix(page), original.slice(0, 10));
  assert.equal(await page.$eval('[data-testid=attention-map] .attn-pair', (e) => e.dataset.afterTask), '2');
  await shot(page, '63-rewound');
  await page.selectOption('[data-testid=what-if-strategy]', 'replay');
  await page.click('[data-testid=what-if]');
  await page.waitForSelector('[data-testid=what-if-pair]');
  await page.waitForFunction(() => /finished/.test(document.querySelector('[data-testid=progress]').textContent)
    && document.querySelectorAll('.results [data-testid=acc-matrix] [data-value]').length === 25, null, { timeout: 180_000 });
  const fork = await matrix(page);
  assert.deepEqual(fork.slice(0, 10), original.slice(0, 10), 'the fork reproduces the first two rows exactly');
  assert.notDeepEqual(fork.slice(10), original.slice(10), 'and goes its own way after');
  assert.match(await page.$eval('.run-card.shown h4', (e) => e.textContent), /replay · .*what-if after task 2/);
  await shot(page, '64-what-if');
});

test('exports: the matrix as CSV, SVG, PNG, a chart as PNG and SVG, a boundary as a slide', async () => {
  const { page } = s.b;
  const save = async (sel) => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.click(sel)]);
    return { name: d.suggestedFilename(), data: await readFile(await d.path()) };
  };
  const m = await matrix(page);
  const csv = await save('.matrix-exports [data-testid=export-csv]');
  assert.match(csv.name, /\.csv$/);
  const lines = csv.data.toString().trim().split('\n');
  assert.equal(lines[0], 'after_task,T1,T2,T3,T4,T5');
  assert.deepEqual(lines.slice(1).flatMap((l) => l.split(',').slice(1).map(Number)), m);
  const svg = await save('.matrix-exports [data-testid=export-svg]');
  assert.match(svg.data.toString(), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const png = await save('.matrix-exports [data-testid=export-png]');
  assert.equal(png.data.subarray(1, 4).toString(), 'PNG');
  const chart = await save('[data-testid=ak-uk] [data-testid=export-png]');
  assert.equal(chart.data.subarray(1, 4).toString(), 'PNG');
  const chartSvg = await save('[data-testid=loss-chart] [data-testid=export-svg]');
  assert.match(chartSvg.data.toString(), /<path d="M/);
  const slide = await save('[data-testid=export-slide]');
  // a PNG's width and height sit at bytes 16–23: 1280×720 drawn at twice the size
  assert.deepEqual([slide.data.readUInt32BE(16), slide.data.readUInt32BE(20)], [2560, 1440]);
  assert.equal(await page.locator('[data-testid=error]').count(), 0);
});

test('a shared link opened in a fresh browser sets the run up and reproduces its matrix and hash', async () => {
  const { page } = s.b;
  await page.selectOption('[data-testid=strategy]', 'replay');
  await page.fill('[data-setting=epochs]', '1');
  await page.dispatchEvent('[data-setting=epochs]', 'change');
  await page.fill('[data-testid=seed]', '3');
  await page.dispatchEvent('[data-testid=seed]', 'change');
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  await page.click('[data-testid=start]');
  await waitFull(page, 5, 180_000);
  const mine = await cells(page);
  const hash = await text(page, '[data-testid=run-hash]');
  assert.match(hash, /^[0-9a-f]{8}$/);
  await page.click('[data-testid=share]');
  const url = await page.inputValue('[data-testid=share-url]');
  assert.match(url, /scenario=teaching/);
  assert.match(url, /strategy=replay/);
  assert.match(url, /seed=3/);
  assert.match(url, /epochs=1/);
  // the address bar says the same
  assert.equal(page.url(), url);
  const other = await launch();
  try {
    await other.page.goto(url);
    await other.page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
    assert.equal(await other.page.$eval('[data-testid=strategy]', (e) => e.value), 'replay');
    assert.equal(await other.page.inputValue('[data-testid=seed]'), '3');
    await other.page.click('[data-testid=start]');
    await waitFull(other.page, 5, 180_000);
    assert.deepEqual(await cells(other.page), mine);
    assert.equal(await text(other.page, '[data-testid=run-hash]'), hash);
    await shot(other.page, '65-shared-link');
    assert.deepEqual(outside(other.requests), []);
  } finally {
    await other.context.close();
  }
});

test('a learning rate that blows the loss up is named in one line with what to try', async () => {
  const { page } = s.b;
  await page.selectOption('[data-testid=strategy]', 'finetune');
  await page.fill('[data-setting=lr]', '10');
  await page.dispatchEvent('[data-setting=lr]', 'change');
  await page.click('[data-testid=start]');
  await page.waitForFunction(() => /stopped/.test(document.querySelector('[data-testid=progress]')?.textContent ?? ''), null, { timeout: 60_000 });
  const n = (await page.locator('[data-testid=notice]').allTextContents()).join(' | ');
  assert.match(n, /its loss blew up from [\d.]+ to [\d.]+: training goes back to the start of task 1 with the learning rate halved to 5/);
  assert.match(n, /the run stopped; no task was finished\. Try a smaller learning rate/);
  await shot(page, '66-blown-up');
  assert.deepEqual(outside(s.b.requests), []);
});

test('?embed shows one chart and its controls alone', async () => {
  const { page } = s.b;
  await page.goto(`${s.srv.url}?device=cpu&embed=curves&epochs=1&lr=0.002`);
  await page.waitForSelector('[data-testid=embed] [data-testid=start]:not([disabled])', { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid=ak-uk]').count(), 1);
  assert.equal(await page.locator('[data-testid=lesson-open], .panel').count(), 0, 'nothing else of the page');
  await page.click('[data-testid=start]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=ak-uk] circle').length >= 2, null, { timeout: 120_000 });
  await shot(page, '67-embed');
});
