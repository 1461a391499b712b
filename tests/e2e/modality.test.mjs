// A visitor adds modalities: draws on the sketch pad and speaks into the
// microphone (Chromium's fake one, playing a synthetic word from a WAV
// file), adds each as a task of classes the stream has, trains, and sees
// the relative gains per modality; then asks the model about a drawing.
// The bundled modality streams load their packs on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { session, shot, cells, waitFull, outside, root } from './harness.mjs';

/// A 48 kHz, 16-bit mono WAV of a two-syllable voiced "word" between
/// silences (Chromium loops it as the microphone's sound).
function syntheticWord(path) {
  const rate = 48_000;
  const n = Math.round(rate * 1.2);
  const pcm = new Int16Array(n);
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 2e-3;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    let v = noise();
    for (const [start, end, f0, bright] of [[0.25, 0.5, 140, 3], [0.55, 0.85, 180, 8]]) {
      if (t < start || t > end) continue;
      const env = Math.sin((Math.PI * (t - start)) / (end - start));
      for (let h = 1; h <= 12; h++) v += (env * 0.25 * Math.sin(2 * Math.PI * f0 * h * t)) / (1 + Math.abs(h - bright));
    }
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
  }
  const data = Buffer.from(pcm.buffer);
  const head = Buffer.alloc(44);
  head.write('RIFF', 0); head.writeUInt32LE(36 + data.length, 4); head.write('WAVE', 8);
  head.write('fmt ', 12); head.writeUInt32LE(16, 16); head.writeUInt16LE(1, 20); head.writeUInt16LE(1, 22);
  head.writeUInt32LE(rate, 24); head.writeUInt32LE(rate * 2, 28); head.writeUInt16LE(2, 32); head.writeUInt16LE(16, 34);
  head.write('data', 36); head.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([head, data]));
}

const dir = join(root, 'target', 'e2e');
mkdirSync(dir, { recursive: true });
const wav = join(dir, 'word.wav');
syntheticWord(wav);
const s = session([
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  `--use-file-for-fake-audio-capture=${wav}`,
]);

/// Draws a closed polygon of `corners` on the pad (the mouse, as a pointer).
async function draw(page, corners, size) {
  const pad = page.locator('[data-testid=sketch-pad]');
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const at = (k) => [cx + size * Math.cos((2 * Math.PI * k) / corners), cy + size * Math.sin((2 * Math.PI * k) / corners)];
  await page.mouse.move(...at(0));
  await page.mouse.down();
  for (let k = 1; k <= corners; k++) await page.mouse.move(...at(k), { steps: 6 });
  await page.mouse.up();
}

const kept = (page) => page.locator('[data-testid=modality-panel] .kept-sample').count();

test('a visitor draws and speaks two new modalities, trains them and sees their relative gains', async () => {
  const { page } = s.b;
  await page.goto(`${s.srv.url}?device=cpu`);
  await page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
  const classes = await page.$$eval('[data-testid=modality-class] option', (os) => os.map((o) => o.value));
  assert.ok(classes.length >= 2, `classes offered: ${classes}`);
  const [a, b] = classes;

  // an empty pad is not kept
  assert.ok(await page.locator('[data-testid=keep-drawing]').isDisabled());
  for (const [cls, corners] of [[a, 3], [b, 12]]) {
    await page.selectOption('[data-testid=modality-class]', cls);
    for (const size of [90, 70, 50]) {
      await draw(page, corners, size);
      await page.click('[data-testid=keep-drawing]');
    }
  }
  assert.equal(await kept(page), 6);
  // each kept drawing is the pack's kind of picture: ink on white
  const inked = await page.$$eval('[data-testid=modality-panel] .kept-sample img', (imgs) => imgs.map((img) => {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 128) dark++;
    return [c.width, dark];
  }));
  for (const [w, dark] of inked) {
    assert.equal(w, 32);
    assert.ok(dark > 10 && dark < 500, `dark pixels: ${dark}`);
  }
  await shot(page, '20-drawings-kept');
  await page.click('[data-testid=add-modality]');
  await page.waitForSelector('.chip [data-modality=sketch]', { timeout: 30_000 });
  assert.equal(await kept(page), 0, 'the drawings went into the task');

  // two recordings of each class through the (fake) microphone
  await page.selectOption('[data-testid=modality-kind]', 'speech');
  for (const cls of [a, b]) {
    await page.selectOption('[data-testid=modality-class]', cls);
    for (let i = 0; i < 2; i++) {
      const before = await kept(page);
      await page.click('[data-testid=record]');
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=modality-panel] .kept-sample').length === n + 1
        || document.querySelector('[data-testid=error]'), before, { timeout: 30_000 });
      const errors = await page.locator('[data-testid=error]').allTextContents();
      assert.deepEqual(errors, [], 'the recording worked');
    }
  }
  assert.equal(await kept(page), 4);
  await shot(page, '21-recordings-kept');
  await page.locator('[data-testid=modality-panel]').screenshot({ path: join(dir, '21-modality-panel.png') });
  await page.click('[data-testid=add-modality]');
  await page.waitForSelector('.chip [data-modality=speech]', { timeout: 30_000 });
  const tasks = await page.locator('.timeline .chip').count();
  assert.equal(tasks, 7, 'five bundled tasks, a sketch task and a speech task');

  await page.click('[data-testid=start]');
  await waitFull(page, 7, 300_000);
  const values = await cells(page);
  assert.equal(values.length, 49);
  // the experts, then the gains: one expert per task, RG after every task
  await page.waitForSelector('[data-testid=gains] [data-metric=bwrg][data-value]', { timeout: 300_000 });
  const experts = await page.$$eval('[data-testid=gains] [data-expert]', (els) => els.map((e) => Number(e.dataset.expert)));
  assert.equal(experts.length, 7);
  assert.ok(experts.every((x) => x >= 0 && x <= 1), `experts ${experts}`);
  const bw = await page.$$eval('[data-testid=gains] [data-metric=bwrg][data-value]', (els) => els.map((e) => Number(e.dataset.value)));
  assert.ok(bw.length >= 1 && bw.every(Number.isFinite), `BwRG ${bw}`);
  const heads = await page.$$eval('[data-testid=gains] thead th', (els) => els.map((e) => e.textContent));
  assert.ok(heads.some((h) => /sketch/.test(h)) && heads.some((h) => /speech/.test(h)), heads.join(' | '));
  assert.equal(await page.locator('[data-testid=gains-chart] path, [data-testid=gains-chart] polyline').count() > 0, true);
  // forgetting is in points of accuracy: 0–100
  const split = await page.locator('[data-testid=modality-forgetting]').textContent();
  for (const v of split.match(/-?\d+(\.\d+)?/g) ?? []) assert.ok(Math.abs(Number(v)) <= 100, split);
  await shot(page, '22-gains');
  await page.locator('[data-testid=gains]').screenshot({ path: join(dir, '22-gains-panel.png') });

  // where the model looks on a drawing of the stream: the drawing, its map
  await page.locator('.tabs .tab', { hasText: 'Task 6' }).click();
  await page.locator('.classes .thumb').first().click();
  await page.waitForFunction(() => /\(sketch\)/.test(document.querySelector('[data-testid=attention-map]')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid=attention-map] .attn-image').count(), 2);
  await page.locator('[data-testid=attention-map]').screenshot({ path: join(dir, '22-attention-sketch.png') });

  // the playground takes a recording and a drawing
  await page.click('[data-testid=predict-recording]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=prediction] li').length === 5, null, { timeout: 30_000 });
  await page.selectOption('[data-testid=modality-kind]', 'sketch');
  await draw(page, 3, 80);
  await page.click('[data-testid=predict-drawing]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=prediction] li').length === 5, null, { timeout: 30_000 });
  assert.deepEqual(await page.locator('[data-testid=error]').allTextContents(), []);
  assert.deepEqual(outside(s.b.requests), [], 'nothing left localhost');
});

test('the bundled modality stream fetches its packs only when chosen, and trains', async () => {
  const { page } = s.b;
  const packs = () => s.b.requests.filter((u) => /\.pack$/.test(u)).map((u) => u.split('/').at(-1));
  assert.deepEqual(packs(), [], 'the first visit fetched no pack');
  await page.selectOption('[data-testid=scenario]', 'modality');
  await page.waitForSelector('.chip [data-modality=speech]', { timeout: 60_000 });
  assert.deepEqual(packs().sort(), ['quickdraw-32.pack', 'speech-32.pack']);
  assert.equal(await page.locator('.timeline .chip').count(), 3);
  assert.equal(await page.locator('.chip [data-modality=sketch]').count(), 1);
  await shot(page, '23-modality-stream');
  assert.deepEqual(await page.locator('[data-testid=error]').allTextContents(), []);
  // the bundled stream trains (one epoch): pairs, drawings, spoken words,
  // and an expert of each for the gains
  await page.selectOption('[data-testid=strategy]', 'finetune');
  await page.fill('[data-setting=epochs]', '1');
  await page.dispatchEvent('[data-setting=epochs]', 'change');
  await page.click('[data-testid=start]');
  await waitFull(page, 3, 300_000);
  await page.waitForSelector('[data-testid=gains] [data-metric=bwrg][data-value]', { timeout: 300_000 });
  const experts = await page.$$eval('[data-testid=gains] [data-expert]', (els) => els.map((e) => Number(e.dataset.expert)));
  assert.equal(experts.length, 3);
  // every expert learnt its task past chance (8 classes: 12.5 %)
  assert.ok(experts.every((x) => x > 0.125 && x <= 1), `experts ${experts}`);
  const heads = await page.$$eval('[data-testid=gains] thead th', (els) => els.map((e) => e.textContent));
  assert.ok(heads.some((h) => /speech/.test(h)), heads.join(' | '));
  await shot(page, '23-modality-stream-trained');
  assert.deepEqual(await page.locator('[data-testid=error]').allTextContents(), []);
});

test('choosing MERA turns on the fusion stage it needs (one notice); it trains a drawn modality and measures its gains', async () => {
  const { page } = s.b;
  await page.selectOption('[data-testid=scenario]', 'entity');
  await page.waitForFunction(() => document.querySelectorAll('.timeline .chip').length === 5, null, { timeout: 60_000 });
  const offered = () => page.$$eval('[data-testid=strategy] option', (os) => os.map((o) => o.value));
  assert.ok((await offered()).includes('mera') && (await offered()).includes('mode'), 'every strategy is offered');
  assert.equal(await page.isChecked('[data-testid=fusion]'), false);
  const notices = await page.locator('[data-testid=notice]').count();
  await page.selectOption('[data-testid=strategy]', 'mera');
  assert.equal(await page.isChecked('[data-testid=fusion]'), true, 'MERA brings the fusion stage');
  assert.equal(await page.locator('[data-testid=notice]').count(), notices + 1);
  assert.match((await page.locator('[data-testid=notice] span').allTextContents()).at(-1), /mera needs the fusion stage/);
  await page.fill('[data-setting=epochs]', '1');
  await page.dispatchEvent('[data-setting=epochs]', 'change');
  await page.selectOption('[data-testid=modality-kind]', 'sketch');
  const classes = await page.$$eval('[data-testid=modality-class] option', (os) => os.map((o) => o.value));
  for (const [cls, corners] of [[classes[0], 4], [classes[1], 9]]) {
    await page.selectOption('[data-testid=modality-class]', cls);
    for (const size of [90, 60]) {
      await draw(page, corners, size);
      await page.click('[data-testid=keep-drawing]');
    }
  }
  await page.click('[data-testid=add-modality]');
  await page.waitForSelector('.chip [data-modality=sketch]', { timeout: 30_000 });
  await page.click('[data-testid=start]');
  await waitFull(page, 6, 300_000);
  await page.waitForSelector('[data-testid=gains] [data-metric=bwrg][data-value]', { timeout: 300_000 });
  assert.match(await page.locator('[data-testid=progress]').textContent(), /mera.*fusion/);
  const bw = await page.$$eval('[data-testid=gains] [data-metric=bwrg][data-value]', (els) => els.map((e) => Number(e.dataset.value)));
  assert.ok(bw.every(Number.isFinite), `BwRG ${bw}`);
  assert.deepEqual(await page.locator('[data-testid=error]').allTextContents(), []);
  await shot(page, '24-mera-fusion');
  // the strategy that needs the stage goes when the stage does
  await page.uncheck('[data-testid=fusion]');
  assert.notEqual(await page.$eval('[data-testid=strategy]', (e) => e.value), 'mera');
});
