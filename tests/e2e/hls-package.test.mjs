// frameseal/hls as a page uses it: hls.js (npm, node_modules/hls.js) plays
// an HLS fMP4 playlist through the package's attachFrameseal() (pkg/hls/)
// in headless Chromium and Firefox (browsers.mjs), and the page samples the
// <video> element's pixels every 50 ms (drawImage to a canvas).
//
// The playlist is tests/fixtures/hls/mixup.m3u8: the linked camera's moving
// test pattern, with the middle segment served from another camera (solid
// red, another key). Plain hls.js shows the red segment (the control: the
// pixel check can see it); through frameseal it never reaches the screen,
// playback continues after it, the stats count its 15 samples as
// foreign-key, and data-frameseal-live goes "false" → "true" → "false" (the
// clip ends). H.264 in MSE plays in both engines. examples/hls/ is loaded
// too, and must count the same drops.
//
// Needs pkg/ built by ./build.sh build (FRAMESEAL_PKG overrides), the repo's
// node_modules (hls.js, playwright-core, puppeteer-core), Debian's chromium
// and firefox-esr. Run: node --test tests/e2e/hls-package.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ENGINES, launch } from './browsers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PKG = path.resolve(process.env.FRAMESEAL_PKG ?? path.join(ROOT, 'pkg'));
/** What the server serves under each prefix. */
const MOUNTS = {
  '/pkg/': PKG,
  '/hls.js/': path.join(ROOT, 'node_modules', 'hls.js', 'dist'),
  '/fixtures/': path.join(ROOT, 'tests', 'fixtures', 'hls'),
  // examples/hls/ reaches pkg/, node_modules/hls.js and the fixtures by relative URLs.
  '/repo/': ROOT,
};
const TYPES = {
  '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html',
  '.css': 'text/css', '.m3u8': 'application/vnd.apple.mpegurl', '.mp4': 'video/mp4', '.m4s': 'video/iso.segment', '.pub': 'text/plain',
};
/** The fixtures' capture time (tools/make-hls-fixtures.sh: --timestamp-us), in ms. */
const CAPTURED_MS = 1_780_000_000_000;
/** A sampled picture is the other camera's when it is this red (its frames are solid red; the test pattern's mean is grey). */
const RED = { minR: 150, maxG: 90, maxB: 90 };

/**
 * The page: `?gate=1` plays through attachFrameseal(), otherwise plain
 * hls.js. It records every 50 ms the video's time and its mean colour, the
 * liveness attribute's changes, hls.js errors and the stats; window.done is
 * set once the clip ended (and, gated, the element went not live again).
 */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<video muted playsinline width="160" height="120"></video>
<script type="module">
import init from '/pkg/frameseal.js';
import Hls from '/hls.js/hls.mjs';
import { attachFrameseal } from '/pkg/hls/index.js';

const gate = new URLSearchParams(location.search).get('gate') === '1';
const video = document.querySelector('video');
const record = window.record = { samples: [], live: [], errors: [], stalls: 0, resumes: 0, ended: false };
try {
  await init();
  const keyLine = await (await fetch('/fixtures/camera.pub')).text();
  const key = Uint8Array.from(keyLine.trim().split(/\\s+/).pop().match(/../g), (h) => parseInt(h, 16));
  new MutationObserver(() => record.live.push(video.getAttribute('data-frameseal-live')))
    .observe(video, { attributes: true, attributeFilter: ['data-frameseal-live'] });
  // The camera's clock: the clip was captured live from the moment it starts playing.
  let startedAt = null;
  video.addEventListener('playing', () => { startedAt ??= performance.now(); });
  const now = () => ${CAPTURED_MS} + 200 + (startedAt === null ? 0 : performance.now() - startedAt);
  const hls = new Hls();
  hls.on(Hls.Events.ERROR, (_e, d) => record.errors.push({ details: d.details, fatal: d.fatal }));
  const seal = gate ? attachFrameseal(hls, key, {
    maxAgeMs: null, maxFutureSkewMs: null, now, stallAfterMs: 6000,
    onStall: () => record.stalls++, onResume: () => record.resumes++,
  }) : null;
  hls.attachMedia(video);
  if (gate) record.live.push(video.getAttribute('data-frameseal-live'));
  hls.loadSource('/fixtures/mixup.m3u8');
  video.play().catch((e) => record.errors.push({ details: 'play: ' + e.message, fatal: true }));
  const canvas = document.createElement('canvas');
  canvas.width = 160;
  canvas.height = 120;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const timer = setInterval(() => {
    if (video.readyState < 2) return;
    ctx.drawImage(video, 0, 0, 160, 120);
    const px = ctx.getImageData(0, 0, 160, 120).data;
    let r = 0, g = 0, b = 0;
    for (let i = 0; i < px.length; i += 4) { r += px[i]; g += px[i + 1]; b += px[i + 2]; }
    const n = px.length / 4;
    record.samples.push({ t: video.currentTime, r: Math.round(r / n), g: Math.round(g / n), b: Math.round(b / n) });
    if (video.ended) record.ended = true;
    if (record.ended && (!gate || video.getAttribute('data-frameseal-live') === 'false')) {
      clearInterval(timer);
      record.stats = seal?.stats() ?? null;
      record.mimeType = seal?.mimeType() ?? null;
      window.done = true;
    }
  }, 50);
} catch (e) {
  record.errors.push({ details: 'page: ' + (e?.stack ?? e), fatal: true });
  window.done = true;
}
</script>`;

/** Serves PAGE at / and MOUNTS on 127.0.0.1 (a free port); resolves to { server, origin }. */
function serve() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
      return;
    }
    const prefix = Object.keys(MOUNTS).find((p) => url.pathname.startsWith(p));
    const dir = prefix && MOUNTS[prefix];
    const rest = dir ? url.pathname.slice(prefix.length) : '';
    const file = dir && path.join(dir, path.normalize(decodeURIComponent(rest === '' || rest.endsWith('/') ? `${rest}index.html` : rest)));
    if (!file || !file.startsWith(dir + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}

const isRed = (s) => s.r >= RED.minR && s.g <= RED.maxG && s.b <= RED.maxB;

let served;
before(async () => {
  assert.ok(existsSync(path.join(PKG, 'hls', 'index.js')), `${PKG}/hls/index.js is missing: run ./build.sh build first`);
  assert.ok(existsSync(path.join(MOUNTS['/hls.js/'], 'hls.mjs')), 'node_modules/hls.js is missing: run npm install');
  served = await serve();
});
after(() => served?.server.close());

for (const engine of ENGINES) {
  describe(`hls.js through frameseal/hls in ${engine}`, () => {
    let browser;
    before(async () => { browser = await launch(engine); });
    after(async () => { await browser?.close(); });

    /** Plays the mixed-up playlist (gated or not) to its end; the page's record. */
    async function play(gate) {
      const page = await browser.newPage();
      const pageErrors = [];
      page.on('pageerror', (message) => pageErrors.push(message));
      try {
        await page.goto(`${served.origin}/?gate=${gate ? 1 : 0}`);
        await page.waitForFunction(() => window.done === true, null, { timeout: 60_000 });
        const record = await page.evaluate(() => window.record);
        assert.deepEqual(pageErrors, []);
        assert.deepEqual(record.errors.filter((e) => e.fatal), [], 'no fatal error');
        assert.ok(record.samples.length >= 40, `sampled ${record.samples.length} pictures`);
        return record;
      } finally {
        await page.close();
      }
    }

    test('examples/hls/ plays the mixed-up playlist and counts the other camera\'s samples', async () => {
      const page = await browser.newPage();
      const pageErrors = [];
      page.on('pageerror', (message) => pageErrors.push(message));
      try {
        await page.goto(`${served.origin}/repo/examples/hls/`);
        await page.waitForFunction(() => window.result?.error !== undefined
          || (window.result?.accepted === 45 && window.result?.dropped['foreign-key'] === 15), null, { timeout: 60_000 });
        const result = await page.evaluate(() => window.result);
        assert.equal(result.error, undefined);
        assert.equal(result.hls.emptyPayloads, 1);
        assert.deepEqual(pageErrors, []);
      } finally {
        await page.close();
      }
    });

    test('control: plain hls.js shows the other camera\'s segment', async () => {
      const record = await play(false);
      const red = record.samples.filter(isRed);
      assert.ok(red.length >= 5, `red pictures seen without frameseal: ${red.length}`);
      assert.ok(red.every((s) => s.t >= 1.9 && s.t <= 3.1), `only in the third segment: ${JSON.stringify(red.map((s) => s.t))}`);
    });

    test('through frameseal: never the other camera, playback continues after it, and the drops are counted', async () => {
      const record = await play(true);
      const red = record.samples.filter(isRed);
      assert.deepEqual(red, [], 'no picture of the other camera');
      assert.ok(record.ended, 'the clip played to its end');
      const after = record.samples.filter((s) => s.t > 3.2 && s.t < 3.95);
      assert.ok(after.length >= 3, `pictures after the foreign segment: ${after.length} (times ${JSON.stringify(record.samples.map((s) => s.t))})`);
      const before = record.samples.filter((s) => s.t > 0.1 && s.t < 1.9);
      assert.ok(before.length >= 5, `pictures before it: ${before.length}`);
      const { stats } = record;
      assert.equal(stats.dropped['foreign-key'], 15, JSON.stringify(stats));
      assert.equal(stats.accepted, 45);
      assert.equal(stats.skippedUntilKeyframe, 0);
      assert.deepEqual(stats.hls, { initSegments: 1, segments: 4, parts: 0, emptyPayloads: 1, refused: 0 });
      assert.match(record.mimeType, /^video\/mp4; codecs="avc1\./);
      // Liveness: not live until a verified picture, live while playing, not live once pictures stop.
      assert.equal(record.live[0], 'false');
      assert.ok(record.live.includes('true'), JSON.stringify(record.live));
      assert.equal(record.live.at(-1), 'false');
      assert.ok(record.resumes >= 1 && record.stalls >= 1, `resumes ${record.resumes}, stalls ${record.stalls}`);
    });
  });
}
