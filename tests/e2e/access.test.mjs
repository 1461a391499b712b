// Every visitor: the demo from the keyboard alone (Tab, Enter, space and
// the page's keys), no serious or critical axe-core violation on any view
// (the trained page, the lesson, presenter mode, a race), and a phone's
// 390-px and a tablet's 768-px wide window that train the demo without
// sideways scrolling. One browser, in that order.
//
// axe-core (tests/package.json) is injected from its file with Playwright's
// addScriptTag; the page's Content-Security-Policy refuses that inline
// script, so this file's browser context bypasses the policy (`bypassCSP`;
// app.test.mjs checks the policy itself).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { serve, launch, shot, shots, cells, waitFull, clearSaved } from './harness.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const s = {};
before(async () => {
  s.srv = await serve();
  s.b = await launch([], { bypassCSP: true });
});
after(async () => {
  await s.b?.context.close();
  s.srv?.server.close();
});

// one epoch a task: the tests here are about the page, not the model
const address = () => `${s.srv.url}?device=cpu&epochs=1`;
const ready = (page) => page.waitForSelector('[data-testid=start]:not([disabled])', { timeout: 60_000 });
const focused = (page) => page.evaluate(() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  return {
    testid: e.dataset?.testid ?? null, tag: e.tagName, cls: e.className,
    // something shows where the focus is: the browser's ring or the page's outline
    ring: style.outlineStyle !== 'none' && style.outlineWidth !== '0px',
  };
});

/// Presses Tab until `match` (a selector) has the focus; every control on
/// the way shows that it has it. Returns the number of presses.
async function tabTo(page, match, most = 250) {
  for (let i = 1; i <= most; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    // past the last control the focus leaves the page (the browser's own
    // controls, here none) and comes back at the top
    if (f.tag === 'BODY') continue;
    assert.ok(f.ring, `the focus is visible on ${JSON.stringify(f)}`);
    if (await page.evaluate((m) => document.activeElement.matches(m), match)) return i;
  }
  throw new Error(`${match} not reached in ${most} presses of Tab`);
}

/// axe-core's violations on the page as it is now: (all, serious or critical).
async function axe(page, view) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) })));
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const count = (vs) => vs.reduce((a, v) => a + v.nodes.length, 0);
  console.log(`# axe-core on the ${view}: ${count(bad)} serious or critical nodes; all: ${violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`).join(', ') || 'none'}`);
  for (const v of bad) for (const n of v.nodes) console.log(`#   ${v.id}: ${n.split('\n').slice(0, 2).join(' ')}`);
  return bad;
}

test('the whole demo runs from the keyboard alone', async () => {
  const { page } = s.b;
  await page.goto(address());
  await ready(page);
  // Tab to Start, Enter: the demo trains
  const presses = await tabTo(page, '[data-testid=start]');
  console.log(`# Start is ${presses} presses of Tab from the top of the page`);
  await shot(page, '80-keyboard-start-focused');
  await page.keyboard.press('Enter');
  await waitFull(page, 5, 240_000);
  assert.equal((await cells(page)).length, 25);
  // a sample picked with Tab and Enter: where the model looks at it
  await tabTo(page, '.classes .thumb');
  await page.keyboard.press('Tab');
  const caption = await page.evaluate(() => document.activeElement.querySelector('.caption').textContent);
  await page.keyboard.press('Enter');
  await page.waitForFunction((c) => document.querySelector('[data-testid=attention-map]').textContent.includes(c), caption, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-pressed')), 'true');
  // space on a focused sample picks it, and does not start a run
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press(' ');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-pressed')), 'true');
  assert.match(await page.textContent('[data-testid=progress]'), /finished/);
  // the page's keys: ← → scrub the boundaries, ? lists the keys (and takes
  // the focus), Esc closes; p presents (and takes the focus), Esc leaves
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.$eval('[data-testid=timeline]', (e) => e.dataset.task), '4');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.$eval('[data-testid=timeline]', (e) => e.dataset.task), '5');
  await page.keyboard.press('?');
  await page.waitForSelector('[data-testid=help]');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /Close/);
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('[data-testid=help]').count(), 0);
  await page.keyboard.press('p');
  await page.waitForSelector('[data-testid=presenter]');
  assert.ok(await page.evaluate(() => document.querySelector('[data-testid=presenter]').contains(document.activeElement)));
  assert.equal(await page.locator('[data-testid=presenter] [data-testid=acc-matrix] [data-value]').count(), 25);
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('[data-testid=presenter]').count(), 0);
  // a strategy chosen and a run started by keys alone: 2 (replay), space
  await page.keyboard.press('2');
  assert.equal(await page.$eval('[data-testid=strategy]', (e) => e.value), 'replay');
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.press(' ');
  await waitFull(page, 5, 240_000);
  assert.match(await page.textContent('[data-testid=progress]'), /replay .*finished/);
  await shot(page, '81-keyboard-trained');
});

test('axe-core finds no serious or critical violation on the trained page, the lesson, presenter mode and a race', async () => {
  const { page } = s.b;
  const found = {};
  found.trained = await axe(page, 'trained page');
  await page.keyboard.press('l');
  await page.waitForSelector('[data-testid=lesson]');
  found.lesson = await axe(page, 'lesson');
  await page.keyboard.press('l');
  await page.keyboard.press('p');
  await page.waitForSelector('[data-testid=presenter]');
  found.presenter = await axe(page, 'presenter mode');
  await page.keyboard.press('Escape');
  // the race: Tab to its button, Enter
  await tabTo(page, '[data-testid=race]');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => {
    const lanes = [...document.querySelectorAll('[data-testid=race-lane]')];
    return lanes.length === 3 && lanes.every((l) => Number(l.dataset.rows) >= 1);
  }, null, { timeout: 240_000 });
  found.race = await axe(page, 'race');
  await page.locator('[data-testid=race-panel]').screenshot({ path: join(shots, '82-race-lanes.png') });
  await page.click('[data-testid=race-close]');
  for (const [view, bad] of Object.entries(found)) {
    assert.deepEqual(bad, [], `${view}: ${JSON.stringify(bad, null, 1)}`);
  }
});

for (const [width, height] of [[390, 844], [768, 1024]]) {
  test(`a ${width}-px wide window trains the demo without sideways scrolling`, async () => {
    const { page } = s.b;
    await clearSaved(s);
    await page.setViewportSize({ width, height });
    await page.goto(address());
    await ready(page);
    const widths = [];
    const measure = async () => {
      const w = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
      widths.push(w[0]);
      assert.ok(w[0] <= w[1], `the page is ${w[0]} px wide in a ${w[1]}-px window: ${await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > innerWidth + 0.5).slice(0, 8)
        .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`).join('; '))}`);
    };
    await measure();
    await page.click('[data-testid=start]');
    await page.waitForSelector('.results [data-testid=acc-matrix] [data-value]', { timeout: 60_000 });
    await measure();
    await page.screenshot({ path: join(shots, `83-${width}px-training.png`) });
    await waitFull(page, 5, 240_000);
    await page.waitForSelector('[data-testid=attention-map] .attn-image', { timeout: 30_000 });
    await measure();
    // the lesson too
    await page.keyboard.press('l');
    await page.waitForSelector('[data-testid=lesson]');
    await measure();
    await page.keyboard.press('l');
    console.log(`# ${width}-px window: the page ${Math.max(...widths)} px wide at most`);
    await shot(page, `84-${width}px-trained`);
  });
}
