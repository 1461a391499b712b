// Dropping a folder onto the upload zone: the page walks it (File and
// Directory Entries API) and its subfolders name the classes, as with the
// folder picker. The drop is a real one, dispatched through the DevTools
// protocol with a directory path, as an operating system's drag would be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtemp, mkdir, copyFile } from 'node:fs/promises';
import { session, shot, fixtures } from './harness.mjs';

const s = session();

/// fruit/kiwi/{1,2,3}, fruit/lime/{4,5,6} (image + caption each) and a corrupt image.
async function folder() {
  const root = join(await mkdtemp(join(tmpdir(), 'palimpsest-drop-')), 'fruit');
  for (const [cls, ids] of [['kiwi', [1, 2, 3]], ['lime', [4, 5, 6]]]) {
    await mkdir(join(root, cls), { recursive: true });
    for (const i of ids) {
      for (const ext of ['png', 'txt']) {
        await copyFile(join(fixtures, 'kiwi', `kiwi${i}.${ext}`), join(root, cls, `${cls}${i}.${ext}`));
      }
    }
  }
  await copyFile(join(fixtures, 'kiwi', 'corrupt.png'), join(root, 'lime', 'corrupt.png'));
  return root;
}

test('a dropped folder becomes one class per subfolder; a corrupt image in it is one error', async () => {
  const { page } = s.b;
  await page.goto(`${s.srv.url}?device=cpu`);
  await page.waitForSelector('[data-testid=add-class]', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll('.classes .thumb').length > 0, null, { timeout: 60_000 });
  const dir = await folder();
  await page.locator('.dropzone').scrollIntoViewIfNeeded();
  const box = await page.locator('.dropzone').boundingBox();
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const data = { items: [], files: [dir], dragOperationsMask: 1 };
  const cdp = await page.context().newCDPSession(page);
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  }
  await page.waitForFunction(() => document.querySelectorAll('.thumb.pending').length === 6, null, { timeout: 30_000 });
  const files = await page.locator('.thumb.pending .muted').allTextContents();
  assert.ok(files.some((f) => f === 'fruit/kiwi/kiwi1.png'), files.join(', '));
  assert.ok(files.some((f) => f === 'fruit/lime/lime6.png'), files.join(', '));
  const errors = await page.locator('[data-testid=error]').allTextContents();
  assert.equal(errors.length, 1, errors.join(' | '));
  assert.match(errors[0], /fruit\/lime\/corrupt\.png/);
  await shot(page, '30-folder-dropped');
  // no name typed: the subfolders are the classes
  await page.click('[data-testid=add-class]');
  await page.waitForFunction(() => document.querySelectorAll('.chip.custom').length > 0, null, { timeout: 30_000 });
  const chips = await page.locator('.chip.custom').allTextContents();
  assert.match(chips.join(' '), /kiwi/);
  assert.match(chips.join(' '), /lime/);
  assert.equal(await page.locator('.thumb.pending').count(), 0);
  await shot(page, '31-folder-classes-added');
});
