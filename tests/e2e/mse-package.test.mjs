// MseGate (SPEC §7) from the built package, in every engine: a <video>
// element fed fragmented MP4 of a camera that seals every access unit
// in-band, with another home's segment (another key) in the middle.
// Checked by pixels sampled from the element every ~50 ms (drawImage to a
// canvas), currentTime, the results and stats, and data-frameseal-live.
//
// Media: tests/fixtures/hls/ (tools/make-hls-fixtures.sh): the camera is
// ffmpeg's testsrc, the other home solid red; 4 one-second segments of 15
// samples, the other home's at the time of the camera's third.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ENGINES, withBrowser } from './browsers.mjs';
import { ROOT, startPkgServer } from './demo-server.mjs';

const FIXTURES = path.join(ROOT, 'tests/fixtures/hls');
const FILES = ['camera-init.mp4', 'camera0.m4s', 'camera1.m4s', 'other2.m4s', 'camera3.m4s'];
const KEY = readFileSync(path.join(FIXTURES, 'camera.pub'), 'utf8').trim().split(/\s+/)[1];
/** The fixtures' capture time (ms): the page's clock stands there. */
const CAPTURED_MS = 1_780_000_000_000;

const PAGE = `<!doctype html><meta charset="utf-8"><title>mse</title>
<video id="v" muted autoplay playsinline width="160" height="120"></video>
<video id="naive" muted autoplay playsinline width="160" height="120"></video>
<script type="module">
import init, { MseGate } from '/pkg/frameseal.js';
await init();
const key = Uint8Array.from('${KEY}'.match(/../g), (h) => parseInt(h, 16));
const fetchBytes = async (name) => new Uint8Array(await (await fetch('/f/' + name)).arrayBuffer());
// A frame is the other home's when the sampled points are all red.
function sample(video, ctx) {
  ctx.drawImage(video, 0, 0, 160, 120);
  const points = [[20, 20], [140, 20], [80, 60], [20, 100], [140, 100]];
  let red = 0;
  for (const [x, y] of points) {
    const [r, g, b] = ctx.getImageData(x, y, 1, 1).data;
    if (r > 180 && g < 90 && b < 90) red++;
  }
  return red === points.length;
}
// The same feed through a plain MediaSource, as a player without frameseal
// appends it: it must show the other home, or the pixel check proves nothing.
window.runNaive = async (names) => {
  const video = document.getElementById('naive');
  const source = new MediaSource();
  video.src = URL.createObjectURL(source);
  await new Promise((r) => source.addEventListener('sourceopen', r, { once: true }));
  const buffer = source.addSourceBuffer('video/mp4; codecs="' + window.naiveCodec + '"');
  const out = { redFrames: 0 };
  const ctx = new OffscreenCanvas(160, 120).getContext('2d', { willReadFrequently: true });
  window.naiveSampler = setInterval(() => { if (video.readyState >= 2 && sample(video, ctx)) out.redFrames++; }, 50);
  for (const name of names) {
    buffer.appendBuffer(await fetchBytes(name));
    await new Promise((r) => buffer.addEventListener('updateend', r, { once: true }));
  }
  video.play().catch(() => {});
  window.naive = out;
};
window.run = async (names, capturedMs) => {
  const video = document.getElementById('v');
  const out = { liveAtStart: video.getAttribute('data-frameseal-live'), appends: [], redFrames: 0,
    samples: 0, stalls: 0, resumes: 0 };
  const gate = new MseGate(video, key, {
    now: () => capturedMs, stallAfterMs: 1500,
    onStall: () => out.stalls++, onResume: () => out.resumes++,
  });
  window.gate = gate;
  out.liveAfterNew = video.getAttribute('data-frameseal-live');
  const ctx = new OffscreenCanvas(160, 120).getContext('2d', { willReadFrequently: true });
  window.sampler = setInterval(() => {
    if (video.readyState < 2) return;
    out.samples++;
    if (sample(video, ctx)) out.redFrames++;
  }, 50);
  const init = await fetchBytes(names[0]);
  for (let i = 1; i < names.length; i++) {
    const media = await fetchBytes(names[i]);
    const bytes = i === 1 ? new Uint8Array([...init, ...media]) : media;
    const r = await gate.append(bytes);
    // As a player page does (go2rtc's does): autoplay alone is not enough
    // for a muted video in every engine.
    if (i === 1) video.play().catch(() => {});
    out.appends.push({ name: names[i], appended: r.appended,
      reasons: [...new Set(r.results.map((x) => x.ok ? (x.kept ? 'kept' : x.notKept) : x.reason))] });
  }
  out.mimeType = gate.mimeType;
  window.naiveCodec = /codecs="([^"]+)"/.exec(gate.mimeType)[1];
  window.out = out;
  return out;
};
window.ready = true;
</script>`;

function fixtures() {
  const extra = {};
  for (const name of FILES) {
    extra['/f/' + name] = { type: 'application/octet-stream', body: readFileSync(path.join(FIXTURES, name)) };
  }
  return extra;
}

for (const engine of ENGINES) {
  describe(engine, () => {
    test('MseGate plays the camera, never the other home, over the gap its segment leaves, then goes not live', {
      timeout: 180_000,
    }, async () => {
      const server = await startPkgServer(PAGE, path.join(ROOT, 'pkg'), fixtures());
      try {
        await withBrowser(engine, async (browser) => {
          const page = await browser.newPage();
          const problems = [];
          page.on('pageerror', (message) => problems.push(message));
          await page.goto(`http://127.0.0.1:${server.address().port}/`);
          await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
          const out = await page.evaluate(([names, ms]) => window.run(names, ms), [FILES, CAPTURED_MS]);
          assert.equal(out.liveAtStart, null, 'nothing marked before the gate exists');
          assert.equal(out.liveAfterNew, 'false', 'not live until a verified frame is presented');
          assert.match(out.mimeType, /^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
          assert.deepEqual(out.appends, [
            { name: 'camera0.m4s', appended: 15, reasons: ['kept'] },
            { name: 'camera1.m4s', appended: 15, reasons: ['kept'] },
            { name: 'other2.m4s', appended: 0, reasons: ['foreign-key'] },
            { name: 'camera3.m4s', appended: 15, reasons: ['kept'] },
          ]);
          // Playback crosses the hole the other home's second leaves (2–3 s)
          // and plays the camera's last second.
          await page.waitForFunction(() => document.getElementById('v').currentTime > 3.5, null, { timeout: 60_000 })
            .catch(async (e) => {
              const state = await page.evaluate(() => {
                const v = document.getElementById('v');
                const b = [];
                for (let i = 0; i < v.buffered.length; i++) b.push([v.buffered.start(i), v.buffered.end(i)]);
                return { currentTime: v.currentTime, buffered: b, paused: v.paused, readyState: v.readyState, error: v.error && v.error.message };
              });
              throw new Error(`playback did not pass 3.5 s: ${JSON.stringify(state)}`, { cause: e });
            });
          await page.waitForFunction(() => document.getElementById('v').getAttribute('data-frameseal-live') === 'false'
            && window.out.stalls >= 1, null, { timeout: 30_000 });
          await page.evaluate((names) => window.runNaive(names), FILES);
          await page.waitForFunction(() => document.getElementById('naive').currentTime > 3.5, null, { timeout: 60_000 });
          const end = await page.evaluate(() => {
            clearInterval(window.naiveSampler);
            clearInterval(window.sampler);
            return { ...window.out, naiveRed: window.naive.redFrames, stats: window.gate.stats(), live: window.gate.live };
          });
          console.log(`${engine}: ${JSON.stringify({ samples: end.samples, redFrames: end.redFrames, naiveRed: end.naiveRed, resumes: end.resumes, stalls: end.stalls, drawn: end.stats.drawn })}`);
          assert.ok(end.naiveRed > 0, 'the plain MediaSource player of the same feed shows the other home');
          assert.equal(end.redFrames, 0, 'no frame of the other home was ever shown');
          assert.ok(end.samples >= 20, `the element was sampled while it played (${end.samples})`);
          assert.ok(end.resumes >= 1, 'onResume when the first verified frame was presented');
          assert.equal(end.live, false);
          assert.equal(end.stats.accepted, 45);
          assert.equal(end.stats.dropped['foreign-key'], 15);
          assert.ok(end.stats.drawn >= 10, `verified frames presented (${end.stats.drawn})`);
          assert.deepEqual(problems, []);
        });
      } finally {
        server.close();
      }
    });
  });
}
