// GatePool (pkg/pool/): FrameGates in Web Workers, in headless Chromium and
// Firefox (browsers.mjs).
//
// A page opens a pool of 2 workers and 4 tiles (DOM canvases whose control
// moves to the workers), and pushes each tile a stranger's frame, a forged
// frame of its own camera and a genuine one, each a real PNG in its camera's
// colour. Asserts per tile: the verdicts and `drawn`, onDrop heard on the
// main thread with the reasons, the worker's stats, and by pixels (a
// screenshot of the page, decoded in the page) that every tile shows its own
// camera's colour and never the stranger's. Also: the tiles are spread over
// both workers; a bad option or `now` rejects open() with a named error; a
// transferred frame leaves the caller's array empty; a key rotation updates
// the gate's linkedPublicKey; push after close rejects. A second test: the
// workers load the build the loader picks (modern here) or the one forced
// with `build` (mvp, js), and verify and draw with it.
//
// Needs pkg/ built (./build.sh build) and Debian's chromium and firefox-esr.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { ENGINES, withBrowser } from './browsers.mjs';
import { ROOT, startPkgServer } from './demo-server.mjs';

const PKG = path.join(ROOT, 'pkg');
const TILES = 4;
const COLOURS = [[220, 40, 40], [40, 170, 60], [230, 160, 20], [150, 60, 200]];
const STRANGER = [30, 60, 230];

const PAGE = `<!doctype html><meta charset="utf-8"><title>pool</title>
<style>body { margin: 0 } canvas { width: 64px; height: 48px; display: block; margin: 0 0 8px 0 }</style>
${Array.from({ length: TILES }, (_, i) => `<canvas id="t${i}" width="64" height="48"></canvas>`).join('')}
<script type="module">
import init, { Signer } from '/pkg/frameseal.js';
import { GatePool } from '/pkg/pool/index.js';
await init();
async function png([r, g, b]) {
  const c = new OffscreenCanvas(64, 48);
  const ctx = c.getContext('2d');
  ctx.fillStyle = 'rgb(' + r + ',' + g + ',' + b + ')';
  ctx.fillRect(0, 0, 64, 48);
  return new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
}
window.run = async (colours, strangerColour) => {
  const pool = new GatePool({ workers: 2 });
  const stranger = Signer.generate();
  const strangerPng = await png(strangerColour);
  const out = { size: pool.size, tiles: [] };
  for (let i = 0; i < colours.length; i++) {
    const cam = Signer.generate();
    const drops = [];
    const gate = await pool.open(document.getElementById('t' + i), cam.publicKey, {
      onDrop: (r) => drops.push(r.reason + '/' + r.drawn),
    });
    const picture = await png(colours[i]);
    const forged = cam.signFrame(picture, { codec: 'png', keyframe: true });
    forged[70] ^= 1;
    const results = [];
    results.push(await gate.push(stranger.signFrame(strangerPng, { codec: 'png', keyframe: true })));
    results.push(await gate.push(forged));
    const genuine = cam.signFrame(picture, { codec: 'png', keyframe: true });
    results.push(await gate.push(genuine, { transfer: true }));
    out.tiles.push({
      results: results.map((r) => ({ ok: r.ok, reason: r.reason ?? null, drawn: r.drawn, hasPayload: 'payload' in r })),
      transferredLength: genuine.byteLength,
      drops,
      stats: await gate.stats(),
    });
    window['gate' + i] = { gate, cam };
  }
  out.lanes = pool._lanes.map((l) => l.gates);
  // Errors that name the problem.
  const err = (p) => p.then(() => 'resolved', (e) => e.message);
  out.badOption = await err(pool.open(new OffscreenCanvas(8, 8), stranger.publicKey, { maxAge: 5 }));
  out.badKey = await err(pool.open(new OffscreenCanvas(8, 8), new Uint8Array(31)));
  out.withNow = await err(pool.open(new OffscreenCanvas(8, 8), stranger.publicKey, { now: () => 0 }));
  // Order: a push, then stats and close in the same task: both see it.
  {
    const { gate: g1, cam: c1 } = window.gate1;
    const last = g1.push(c1.signFrame(new Uint8Array(8)));
    const counted = g1.stats();
    g1.close();
    out.sameTask = { last: (await last).ok, accepted: (await counted).accepted };
  }
  // Rotation: the gate follows the camera's new key.
  const { gate, cam } = window.gate0;
  const next = Signer.generate();
  const rotated = await gate.push(cam.signRotation(next));
  out.rotation = { ok: rotated.ok, newKeyMatches: String(gate.linkedPublicKey) === String(next.publicKey) };
  gate.close();
  out.afterClose = await err(gate.push(new Uint8Array(60)));
  window.pool = pool;
  return out;
};
window.pixels = async (png, points) => {
  const bitmap = await createImageBitmap(new Blob([new Uint8Array(png)], { type: 'image/png' }));
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  return points.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3)));
};
// One single-worker pool per build: which build its worker loaded, and
// the verdicts of a stranger's frame and a genuine one there.
window.runBuilds = async (colour, strangerColour) => {
  const out = {};
  const stranger = Signer.generate();
  for (const build of ['auto', 'modern', 'mvp', 'js']) {
    const pool = new GatePool({ workers: 1, build });
    const cam = Signer.generate();
    const gate = await pool.open(new OffscreenCanvas(64, 48), cam.publicKey);
    const foreign = await gate.push(stranger.signFrame(await png(strangerColour), { codec: 'png', keyframe: true }));
    const genuine = await gate.push(cam.signFrame(await png(colour), { codec: 'png', keyframe: true }));
    out[build] = { build: gate.build, foreign: [foreign.reason, foreign.drawn], genuine: [genuine.ok, genuine.drawn] };
    pool.terminate();
  }
  try { new GatePool({ build: 'wasm2' }); out.badBuild = 'constructed'; } catch (e) { out.badBuild = e.message; }
  return out;
};
window.ready = true;
</script>
`;


const near = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 12);

const SKIP = existsSync(path.join(PKG, 'pool', 'index.js')) ? false : 'pkg/ is not built (./build.sh build)';

/** Serves PAGE, opens it in `engine` with `pageOptions`, and runs `body(page, problems)`. */
async function withPoolPage(engine, pageOptions, body) {
  const server = await startPkgServer(PAGE);
  try {
    await withBrowser(engine, async (browser) => {
      const page = await browser.newPage(pageOptions);
      const problems = [];
      page.on('pageerror', (message) => problems.push(message));
      page.on('console', ({ type, text }) => { if (type === 'error') problems.push(text); });
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
      await body(page, problems);
    });
  } finally {
    server.close();
  }
}

for (const engine of ENGINES) {
  describe(engine, () => {
    test('GatePool: the workers load the build frameseal/loader picks, or the one forced', {
      skip: SKIP,
      timeout: 120_000,
    }, () => withPoolPage(engine, {}, async (page, problems) => {
      const out = await page.evaluate(([c, s]) => window.runBuilds(c, s), [COLOURS[0], STRANGER]);
      console.log(`${engine}: ${JSON.stringify(out)}`);
      const want = (build) => ({ build, foreign: ['foreign-key', false], genuine: [true, true] });
      assert.deepEqual(out.auto, want('modern'), `auto: this ${engine} validates the probe`);
      assert.deepEqual(out.modern, want('modern'));
      assert.deepEqual(out.mvp, want('mvp'), 'the WebAssembly 1.0 build in a worker');
      assert.deepEqual(out.js, want('js'), 'the JS build in a worker');
      assert.match(out.badBuild, /^GatePool: build must be 'auto', 'modern', 'mvp' or 'js', got "wasm2"$/);
      assert.deepEqual(problems, []);
    }));

    test('GatePool: workers verify, decode and draw; only each tile\'s camera is shown', {
      skip: SKIP,
      timeout: 120_000,
    }, () => withPoolPage(engine, { viewport: { width: 200, height: 300 }, deviceScaleFactor: 1 }, async (page, problems) => {
      const out = await page.evaluate(([c, s]) => window.run(c, s), [COLOURS, STRANGER]);

      assert.equal(out.size, 2);
      assert.deepEqual(out.lanes, [2, 2], 'four tiles over both workers');
      for (const [i, tile] of out.tiles.entries()) {
        assert.deepEqual(tile.results, [
          { ok: false, reason: 'foreign-key', drawn: false, hasPayload: false },
          { ok: false, reason: 'bad-signature', drawn: false, hasPayload: false },
          { ok: true, reason: null, drawn: true, hasPayload: false },
        ], `tile ${i}`);
        assert.deepEqual(tile.drops, ['foreign-key/false', 'bad-signature/false'], `tile ${i}: onDrop on the main thread`);
        assert.equal(tile.transferredLength, 0, `tile ${i}: the transferred frame left the page`);
        assert.equal(tile.stats.accepted, 1);
        assert.equal(tile.stats.drawn, 1);
        assert.equal(tile.stats.dropped['foreign-key'], 1);
        assert.equal(tile.stats.dropped['bad-signature'], 1);
      }
      assert.match(out.badOption, /maxAge/);
      assert.match(out.badKey, /linkedPublicKey/);
      assert.match(out.withNow, /options\.now cannot be used with GatePool/);
      assert.deepEqual(out.rotation, { ok: true, newKeyMatches: true });
      assert.deepEqual(out.sameTask, { last: true, accepted: 2 }, 'push, stats, close in one task: in order');
      assert.match(out.afterClose, /closed/);

      // The pictures: each tile shows its camera's colour, not the stranger's.
      // The workers' canvases reach the page's compositor a little later:
      // screenshots until every tile shows its camera (or a generous timeout).
      const points = Array.from({ length: TILES }, (_, i) => [32, i * 56 + 24]);
      const shown = async () => {
        const shot = await page.screenshot({ x: 0, y: 0, width: 64, height: TILES * 56 });
        return page.evaluate(([png, pts]) => window.pixels(png, pts), [Array.from(shot), points]);
      };
      let seen = await shown();
      for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
        if (seen.every((rgb, i) => near(rgb, COLOURS[i]) || near(rgb, STRANGER))) break;
        await sleep(100);
        seen = await shown();
      }
      for (const [i, rgb] of seen.entries()) {
        assert.ok(!near(rgb, STRANGER), `tile ${i} shows the stranger: ${rgb}`);
        assert.ok(near(rgb, COLOURS[i]), `tile ${i} shows ${rgb}, not its camera's ${COLOURS[i]}`);
      }
      assert.deepEqual(problems, []);
    }));
  });
}
