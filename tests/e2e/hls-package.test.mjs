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
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
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

const params = new URLSearchParams(location.search);
const gate = params.get('gate') === '1';
const src = params.get('src') ?? '/fixtures/mixup.m3u8';
const lowLatency = params.get('ll') === '1';
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
  const hls = new Hls({ lowLatencyMode: lowLatency });
  hls.on(Hls.Events.ERROR, (_e, d) => record.errors.push({ details: d.details, fatal: d.fatal, message: String(d.error?.message ?? d.reason ?? '') }));
  const seal = gate ? attachFrameseal(hls, key, {
    maxAgeMs: null, maxFutureSkewMs: null, now, stallAfterMs: 6000,
    onStall: () => record.stalls++, onResume: () => record.resumes++,
  }) : null;
  hls.attachMedia(video);
  if (gate) record.live.push(video.getAttribute('data-frameseal-live'));
  hls.loadSource(src);
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

/** LL-HLS emulation: a part is 5 frames at 15 frames/s; three parts make a segment. */
const PART_S = 1 / 3;
const PARTS = 12;
const PARTS_PER_SEGMENT = 3;
/** Parts published when a session's playlist is first asked for; one more every PART_S after. */
const PUBLISHED_AT_START = 3;
/**
 * The parts the mixed-up stream takes from the other camera: 6 (its
 * keyframe: plain hls.js shows red) and 7; the camera's part 8 follows in
 * the same GOP, its chain broken.
 */
const FOREIGN_PARTS = [6, 7];
const LL = path.join(MOUNTS['/fixtures/'], 'll');
const llSessions = new Map();
/** How often each LL-HLS path was asked for. */
const llRequests = new Map();

/** Part `n` of a stream ('cam', or 'mix': FOREIGN_PARTS from the other camera). */
function llPart(mode, n) {
  return readFileSync(path.join(LL, mode === 'mix' && FOREIGN_PARTS.includes(n) ? `other${n}.m4s` : `camera${n}.m4s`));
}

/**
 * The live LL-HLS playlist with `published` parts (of PARTS); EXT-X-ENDLIST
 * from one part period after the last one (hls.js 1.7 does not load a last
 * part that first appears in a playlist that already ends).
 */
function llPlaylist(published) {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:9', '#EXT-X-TARGETDURATION:1',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.1', `#EXT-X-PART-INF:PART-TARGET=${PART_S.toFixed(5)}`,
    '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-MAP:URI="init.mp4"'];
  for (let n = 0; n < Math.min(published, PARTS); n++) {
    lines.push(`#EXT-X-PART:DURATION=${PART_S.toFixed(5)},URI="part${n}.m4s"${n % PARTS_PER_SEGMENT === 0 ? ',INDEPENDENT=YES' : ''}`);
    if (n % PARTS_PER_SEGMENT === PARTS_PER_SEGMENT - 1) lines.push('#EXTINF:1.00000,', `seg${(n + 1) / PARTS_PER_SEGMENT - 1}.m4s`);
  }
  if (published > PARTS) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/**
 * /ll/<cam|mix>/<session>/live.m3u8 (blocking reload with _HLS_msn and
 * _HLS_part), …/init.mp4, …/part<n>.m4s, …/seg<s>.m4s; true if it answered.
 */
function serveLowLatency(url, res) {
  const m = /^\/ll\/(cam|mix)\/([\w-]+)\/(live\.m3u8|init\.mp4|part(\d+)\.m4s|seg(\d+)\.m4s)$/.exec(url.pathname);
  if (!m) return false;
  const [, mode, session, file, part, segment] = m;
  const asked = llRequests.get(url.pathname) ?? 0;
  llRequests.set(url.pathname, asked + 1);
  if (file === 'live.m3u8') {
    if (!llSessions.has(session)) llSessions.set(session, Date.now());
    const published = () => Math.min(PARTS + 1, PUBLISHED_AT_START + Math.floor((Date.now() - llSessions.get(session)) / (PART_S * 1000)));
    const msn = url.searchParams.get('_HLS_msn');
    const wanted = msn === null ? 0 : Number(msn) * PARTS_PER_SEGMENT + Number(url.searchParams.get('_HLS_part') ?? PARTS_PER_SEGMENT - 1) + 1;
    const answer = () => {
      if (published() < Math.min(wanted, PARTS)) { setTimeout(answer, 20); return; }
      res.writeHead(200, { 'content-type': TYPES['.m3u8'], 'cache-control': 'no-store' });
      res.end(llPlaylist(published()));
    };
    answer();
    return true;
  }
  let body;
  if (file === 'init.mp4') body = readFileSync(path.join(LL, 'init.mp4'));
  else if (part !== undefined) body = llPart(mode, Number(part));
  else body = Buffer.concat(Array.from({ length: PARTS_PER_SEGMENT }, (_, i) => llPart(mode, Number(segment) * PARTS_PER_SEGMENT + i)));
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] });
  res.end(body);
  return true;
}

/** Serves PAGE at /, the LL-HLS emulation under /ll/ and MOUNTS, on 127.0.0.1 (a free port); resolves to { server, origin }. */
function serve() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (serveLowLatency(url, res)) return;
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

    /** Plays the playlist `src` (default the mixed-up one; gated or not) to its end; the page's record. */
    async function play(gate, { src = null, ll = false } = {}) {
      const page = await browser.newPage();
      const pageErrors = [];
      page.on('pageerror', (message) => pageErrors.push(message));
      try {
        const query = new URLSearchParams({ gate: gate ? '1' : '0', ll: ll ? '1' : '0' });
        if (src) query.set('src', src);
        await page.goto(`${served.origin}/?${query}`);
        try {
          await page.waitForFunction(() => window.done === true, null, { timeout: 60_000 });
        } catch (e) {
          // Say where it stood: the last pictures, errors, liveness.
          const record = await page.evaluate(() => {
            const v = document.querySelector('video');
            const buffered = Array.from({ length: v.buffered.length }, (_, i) => [v.buffered.start(i), v.buffered.end(i)]);
            return { ...window.record, samples: window.record.samples.slice(-3), buffered, duration: v.duration };
          });
          throw new Error(`${e.message}\npage record: ${JSON.stringify(record)}`);
        }
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
      assert.deepEqual(stats.hls, { initSegments: 1, segments: 4, parts: 0, emptyPayloads: 1, repeats: 0, refused: 0 });
      assert.match(record.mimeType, /^video\/mp4; codecs="avc1\./);
      // Liveness: not live until a verified picture, live while playing, not live once pictures stop.
      assert.equal(record.live[0], 'false');
      assert.ok(record.live.includes('true'), JSON.stringify(record.live));
      assert.equal(record.live.at(-1), 'false');
      assert.ok(record.resumes >= 1 && record.stalls >= 1, `resumes ${record.resumes}, stalls ${record.stalls}`);
    });

    test('LL-HLS control: plain hls.js shows the other camera\'s parts', async () => {
      const record = await play(false, { src: `/ll/mix/${engine}-naive/live.m3u8`, ll: true });
      const red = record.samples.filter(isRed);
      assert.ok(red.length >= 2, `red pictures seen without frameseal: ${red.length}`);
    });

    test('LL-HLS through frameseal: parts are filtered, the other camera\'s parts and the rest of their GOP never show, playback continues', async () => {
      const record = await play(true, { src: `/ll/mix/${engine}-gated/live.m3u8`, ll: true });
      assert.deepEqual(record.samples.filter(isRed), [], 'no picture of the other camera');
      assert.ok(record.ended, 'the stream played to its end');
      const { stats } = record;
      assert.ok(stats.hls.parts > 0, `hls.js loaded parts: ${JSON.stringify(stats.hls)}`);
      // Parts 6 and 7 are the other camera's, part 8 the camera's with its
      // chain broken; part 9 starts a GOP. hls.js loads them as parts or,
      // after a gap part, as the whole third segment (so the other camera's
      // samples may be judged twice): only foreign-key and replayed drops.
      const other = Object.entries(stats.dropped).filter(([reason, n]) => n > 0 && reason !== 'foreign-key' && reason !== 'replayed');
      assert.deepEqual(other, [], JSON.stringify(stats));
      assert.ok(stats.dropped['foreign-key'] >= 10 && stats.dropped['foreign-key'] <= 20, JSON.stringify(stats));
      assert.ok(stats.accepted >= 45, `accepted ${stats.accepted}`);
      // An empty segment hls.js asks for again and again is answered at a pace, not in a tight loop.
      const seg2 = llRequests.get(`/ll/mix/${engine}-gated/seg2.m4s`) ?? 0;
      assert.ok(seg2 <= 8, `the third segment was asked for ${seg2} times`);
      const late = record.samples.filter((s) => s.t > 3.1 && s.t < 3.95);
      assert.ok(late.length >= 3, `pictures after the foreign part: ${late.length} (times ${JSON.stringify(record.samples.map((s) => s.t))})`);
    });
  });
}
