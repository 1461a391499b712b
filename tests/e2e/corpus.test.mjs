// The bad-input corpus (tests/corpus, one imagefolder per case; what each
// must give is in expect.json, shared with the CLI's cli/tests/corpus.rs)
// through the app's folder upload: every expected problem is reported,
// nothing else is blamed, the right pairs wait to be added, and adding them
// makes the expected classes — or, when no class has the two images a
// split needs, is refused with the pairs kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { session, shot, root, outside } from './harness.mjs';

const s = session();
const corpus = join(root, 'tests', 'corpus');
const { cases } = JSON.parse(readFileSync(join(corpus, 'expect.json'), 'utf8'));

const texts = (page, what) => page.locator(`[data-testid=${what}]`).allTextContents();
const count = (page, sel) => page.locator(sel).count();

test(`the ${cases.length} bad-input cases through the app's folder upload`, async () => {
  const { page } = s.b;
  await page.goto(`${s.srv.url}?device=cpu`);
  await page.waitForSelector('[data-testid=add-class]', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll('.chip').length > 0, null, { timeout: 60_000 });
  let seed = 100;
  for (const c of cases) {
    // a fresh stream (another seed), so that the classes of the case before are gone
    seed += 1;
    await page.fill('[data-testid=seed]', String(seed));
    // leaving the field fires its one change event
    await page.$eval('[data-testid=seed]', (e) => e.blur());
    await page.waitForFunction(() => document.querySelectorAll('.chip.custom').length === 0
      && document.querySelectorAll('.chip').length > 0, null, { timeout: 30_000 });
    const errors0 = (await texts(page, 'error')).length;
    const notices0 = (await texts(page, 'notice')).length;

    await page.setInputFiles('[data-testid=upload-folder]', join(corpus, c.name));
    await page.waitForFunction((n) => document.querySelectorAll('.thumb.pending').length === n, c.pairs, { timeout: 30_000 })
      .catch(async () => assert.fail(`${c.name}: ${await count(page, '.thumb.pending')} pairs pending, expected ${c.pairs}; errors: ${(await texts(page, 'error')).slice(errors0).join(' | ')}`));
    // the last files' problems may still be on their way
    await page.waitForTimeout(300);
    await page.click('[data-testid=add-class]');
    await page.waitForTimeout(300);

    const errors = (await texts(page, 'error')).slice(errors0);
    const said = errors.join(' | ');
    for (const m of c.messages) {
      assert.ok(errors.some((e) => e.includes(m)), `${c.name}: no error says «${m}»; errors: ${said}`);
    }
    for (const a of c.absent) {
      assert.ok(!errors.some((e) => e.includes(a)), `${c.name}: an error blames «${a}»: ${said}`);
    }
    const notices = (await texts(page, 'notice')).slice(notices0);
    if (c.ok) {
      const added = notices.find((n) => n.startsWith('Added '));
      assert.ok(added, `${c.name}: nothing added; notices: ${notices.join(" | ")}; all: ${(await texts(page, "notice")).join(" | ")}; errors: ${said}`);
      const names = added.replace(/^Added /, '').replace(/ as a new task.*$/s, '').split(', ');
      assert.equal(names.length, c.classes, `${c.name}: ${added}`);
      assert.equal(await count(page, '.thumb.pending'), 0);
      await page.waitForFunction(() => document.querySelectorAll('.chip.custom').length === 1, null, { timeout: 30_000 });
    } else {
      assert.ok(!notices.some((n) => n.startsWith('Added ')), `${c.name}: ${notices}`);
      assert.equal(await count(page, '.thumb.pending'), c.pairs, `${c.name}: the pairs stay for the user to fix`);
      while (await count(page, '.thumb.pending button') > 0) await page.locator('.thumb.pending button').first().click();
    }
    // nothing crashed the page's worker
    assert.ok(!errors.some((e) => /worker failed|panicked/.test(e)), `${c.name}: ${said}`);
  }
  await shot(page, '50-corpus-uploaded');
  assert.deepEqual(outside(s.b.requests), []);
});
