// SignedVideoGate (frameseal/signed-video, pkg/signed-video/) with WebCodecs,
// in each engine of FRAMESEAL_E2E_ENGINES (browsers.mjs): the Axis recording
// whose picture 137 was changed after signing goes through the gate whole
// (SignedVideoGate.mp4, hold mode), the released pictures are decoded with a
// VideoDecoder and drawn on a canvas, and each drawn picture's pixels
// (SHA-256 of the canvas's RGBA) are compared with the same picture decoded
// in the same engine from the untampered recording (axis_signed_test_h264.mp4:
// the same bitstream but for picture 137 and the SEIs). Asserts that:
// - every picture of the authentic GOPs (0-123 and 186-247, as `frameseal
//   verify --signed-video` counts them) is drawn once, and matches the
//   untampered recording pixel for pixel;
// - no picture of the tampered GOP (124-185) is ever drawn;
// - the same file decoded without the gate (mark mode: everything
//   released) does show a changed picture 137, so the pixel check can fail.
//
// SignedVideoMseGate (the MSE path), in the same engines: the same
// recording made fragmented MP4 by ffmpeg (-c copy, one fragment per GOP)
// is appended segment by segment to a <video> through the gate (hold mode),
// and beside it through a mark-mode gate (everything appended, as a player
// without the gate shows it). Asserts that playback crosses the hole the
// tampered GOP leaves (the gap jump) to the end of the last authentic
// GOP; that the element processed exactly the appended pictures
// (getVideoPlaybackQuality: 186 of 256, the mark-mode element all 256;
// Firefox leaves out a range's last picture where playback stops or jumps)
// and presented none of the tampered GOP's times (requestVideoFrameCallback
// mediaTime); that video.buffered never covers more than a frame of the
// tampered GOP's time range (the mark-mode element's does); and that
// data-frameseal-live goes 'true' while authentic pictures play.
//
// SignedVideoMseGate's liveness (MseGate's, SPEC §4/§7), in the same
// engines: a hold-mode gate with stallAfterMs 1000 gets the first two
// GOPs' segments (the first GOP is appended); once the element has played
// them and presented nothing new for the stall time, data-frameseal-live
// is 'false', gate.live false and onStall called; the next segment (which
// completes the second GOP, appended) makes it 'true' again with onResume.
// Bad liveness options throw 'bad-options'.
//
// WebCodecs' VideoDecoder: Chromium has it (Debian's build decodes H.264 in
// software); so does Firefox since 130 (Debian's firefox-esr 153 here
// decodes this file too), not Firefox ESR 128 and older; Safari is not
// tested here. Needs pkg/ built (./build.sh build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ENGINES, withBrowser } from './browsers.mjs';
import { ROOT, openPage, startPkgServer } from './demo-server.mjs';

const FIXTURES = path.join(ROOT, 'tests/fixtures/signed-video');
const TAMPERED = 'axis_signed_test_h264_modified_frame_137.mp4';
const ORIGINAL = 'axis_signed_test_h264.mp4';
/** The tampered GOP, in decode order (frameseal verify --signed-video). */
const TAMPERED_GOP = [124, 185];

const PAGE = `<!doctype html><meta charset="utf-8"><title>signed video</title>
<canvas id="screen" width="480" height="640"></canvas>
<script type="module">
import init, { SignedVideoGate } from '/pkg/signed-video/frameseal_signed_video.js';
await init();
const fetchBytes = async (name) => new Uint8Array(await (await fetch('/f/' + name)).arrayBuffer());
const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
const ctx = document.getElementById('screen').getContext('2d', { willReadFrequently: true });

// Decodes \`pictures\` (released by a gate) with a VideoDecoder, draws each
// output on the canvas and returns { frame index: SHA-256 of its pixels }.
// Each chunk's timestamp is its picture's decode-order index, so that
// every output names the picture it is.
async function decodeAndDraw(config, pictures) {
  const support = await VideoDecoder.isConfigSupported(config);
  if (!support.supported) throw new Error('VideoDecoder does not support ' + config.codec);
  const drawn = [];
  const errors = [];
  const decoder = new VideoDecoder({
    output: (frame) => {
      ctx.drawImage(frame, 0, 0, 480, 640);
      drawn.push({ frame: frame.timestamp, pixels: ctx.getImageData(0, 0, 480, 640).data });
      frame.close();
    },
    error: (e) => errors.push(String(e)),
  });
  decoder.configure(config);
  for (const p of pictures) {
    decoder.decode(new EncodedVideoChunk({ type: p.type, timestamp: p.frame, data: p.data }));
  }
  await decoder.flush();
  decoder.close();
  if (errors.length) throw new Error('decode errors: ' + errors.join('; '));
  const out = {};
  for (const d of drawn) out[d.frame] = hex(await crypto.subtle.digest('SHA-256', d.pixels));
  return { digests: out, order: drawn.map((d) => d.frame) };
}

window.run = async (tampered, original) => {
  const gated = SignedVideoGate.mp4(await fetchBytes(tampered));
  const reference = SignedVideoGate.mp4(await fetchBytes(original));
  const naive = SignedVideoGate.mp4(await fetchBytes(tampered), { mode: 'mark' });
  return {
    codec: gated.decoderConfig.codec,
    reports: gated.reports,
    referenceReports: reference.reports,
    stats: gated.stats,
    released: gated.pictures.map((p) => p.frame),
    gated: await decodeAndDraw(gated.decoderConfig, gated.pictures),
    reference: await decodeAndDraw(reference.decoderConfig, reference.pictures),
    naive: await decodeAndDraw(naive.decoderConfig, naive.pictures),
  };
};
window.ready = true;
</script>`;

for (const engine of ENGINES) test(`${engine}: the released pictures of the tampered recording decode to the original pixels; the tampered GOP is never drawn`, {
  timeout: 180_000,
}, async () => {
  assert.ok(existsSync(path.join(ROOT, 'pkg/signed-video/frameseal_signed_video.js')), 'pkg/signed-video/ is not built (./build.sh build)');
  const extra = {};
  for (const name of [TAMPERED, ORIGINAL]) {
    extra[`/f/${name}`] = { type: 'video/mp4', body: readFileSync(path.join(FIXTURES, name)) };
  }
  const server = await startPkgServer(PAGE, path.join(ROOT, 'pkg'), extra);
  try {
    await withBrowser(engine, async (browser) => {
      const { page, problems } = await openPage(browser);
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
      const out = await page.evaluate(([t, o]) => window.run(t, o), [TAMPERED, ORIGINAL]);

      const verdicts = out.reports.map((r) => [r.firstFrame, r.frames, r.verdict]);
      assert.deepEqual(verdicts, [[0, 62, 'authentic'], [62, 62, 'authentic'], [124, 62, 'tampered'],
        [186, 62, 'authentic'], [248, 8, 'pending']]);
      assert.ok(out.referenceReports.every((r) => r.verdict === 'authentic'));
      const authentic = out.reports.filter((r) => r.verdict === 'authentic')
        .flatMap((r) => Array.from({ length: r.frames }, (_, i) => r.firstFrame + i));
      assert.deepEqual(out.released, authentic, 'every picture of the authentic GOPs released, in decode order');

      const drawn = out.gated.order;
      const [from, to] = TAMPERED_GOP;
      assert.equal(drawn.filter((f) => f >= from && f <= to).length, 0, 'no picture of the tampered GOP drawn');
      assert.deepEqual([...drawn].sort((a, b) => a - b), authentic, 'each released picture drawn once');
      assert.equal(drawn.length, 186);
      for (const f of drawn) {
        assert.equal(out.gated.digests[f], out.reference.digests[f], `picture ${f}: the original's pixels`);
      }
      // Without the gate the tampered picture is shown, and it differs.
      assert.equal(out.naive.order.length, 256);
      assert.notEqual(out.naive.digests[137], out.reference.digests[137], 'picture 137 was visibly changed');
      assert.equal(out.naive.digests[136], out.reference.digests[136]);
      assert.equal(out.stats.dropped.tampered, 62);
      console.log(`${engine}: ${out.codec}, drawn ${drawn.length}, reference ${out.reference.order.length}, `
        + `naive ${out.naive.order.length}; dropped ${JSON.stringify(out.stats.dropped)}`);
      assert.deepEqual(problems, []);
    });
  } finally {
    server.close();
  }
});

/** The tampered recording as fragmented MP4 (ffmpeg, samples copied): the init segment and each moof + mdat. */
function fragmented(name) {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'frameseal-sv-mse-')), 'fragmented.mp4');
  const run = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', path.join(FIXTURES, name), '-map', '0:v:0', '-c', 'copy',
    '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', out], { encoding: 'utf8' });
  assert.equal(run.status, 0, `ffmpeg: ${run.stderr}`);
  const bytes = readFileSync(out);
  const boxes = [];
  for (let at = 0; at < bytes.length;) {
    const size = bytes.readUInt32BE(at);
    boxes.push({ kind: bytes.toString('latin1', at + 4, at + 8), bytes: bytes.subarray(at, at + size) });
    at += size;
  }
  const moov = boxes.findIndex((b) => b.kind === 'moov');
  const segments = [];
  for (let i = moov + 1; i + 1 < boxes.length; i++) {
    if (boxes[i].kind === 'moof' && boxes[i + 1].kind === 'mdat') segments.push(Buffer.concat([boxes[i].bytes, boxes[i + 1].bytes]));
  }
  return { init: Buffer.concat(boxes.slice(0, moov + 1).map((b) => b.bytes)), segments };
}

const MSE_PAGE = `<!doctype html><meta charset="utf-8"><title>signed video mse</title>
<video id="gated" muted playsinline width="240" height="320"></video>
<video id="naive" muted playsinline width="240" height="320"></video>
<script type="module">
import init, { SignedVideoMseGate, SignedVideoFragmentFilter } from '/pkg/signed-video/frameseal_signed_video.js';
await init();
const fetchBytes = async (name) => new Uint8Array(await (await fetch('/f/' + name)).arrayBuffer());
const ranges = (r) => Array.from({ length: r.length }, (_, i) => [r.start(i), r.end(i)]);

// Plays \`names\` (init, then media segments) through a SignedVideoMseGate
// in \`mode\` on the element \`id\`; records what the element presented
// (requestVideoFrameCallback) and every buffered snapshot.
async function play(id, mode, names) {
  const video = document.getElementById(id);
  const out = { mode, appended: [], presented: [], buffered: [], live: [], liveAfterNew: null };
  const gate = new SignedVideoMseGate(video, { mode });
  out.liveAfterNew = video.getAttribute('data-frameseal-live');
  const onFrame = (now, meta) => {
    out.presented.push(meta.mediaTime);
    out.buffered.push(ranges(video.buffered));
    out.live.push(video.getAttribute('data-frameseal-live'));
    if (!out.done) video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  video.addEventListener('timeupdate', () => out.buffered.push(ranges(video.buffered)));
  for (let i = 0; i < names.length; i++) {
    const r = await gate.append(await fetchBytes(names[i]));
    out.appended.push(r.appended);
    out.buffered.push(ranges(video.buffered));
    // As a player page does: autoplay alone is not enough in every engine.
    if (i === 1) video.play().catch(() => {});
  }
  out.mimeType = gate.mimeType;
  out.end = ranges(video.buffered).at(-1)[1];
  out.gate = gate;
  return out;
}

window.run = async (names) => {
  // Every picture's presentation time (s), in decode order, from a
  // mark-mode filter: the tampered GOP's time range.
  const filter = new SignedVideoFragmentFilter({ mode: 'mark' });
  const times = [];
  for (const name of names) for (const p of filter.filter(await fetchBytes(name)).pictures) times.push([p.timestamp / 1e6, p.duration / 1e6]);
  window.times = times;
  const [gated, naive] = await Promise.all([play('gated', 'hold', names), play('naive', 'mark', names)]);
  window.runs = { gated, naive };
  return true;
};

// True once the element has played to the end of what it has buffered
// and waits there for data that will not come (Chromium stops a frame or
// two short of a range's end).
window.played = (id) => {
  const r = window.runs[id];
  const video = document.getElementById(id);
  return video.currentTime >= r.end - 3 * window.times[186][1] && video.readyState <= 2;
};

window.finish = () => {
  const result = {};
  for (const [id, r] of Object.entries(window.runs)) {
    r.done = true;
    const video = document.getElementById(id);
    const quality = video.getVideoPlaybackQuality();
    result[id] = {
      appended: r.appended, presented: r.presented, buffered: r.buffered, live: r.live, liveAfterNew: r.liveAfterNew,
      mimeType: r.mimeType, currentTime: video.currentTime, end: r.end,
      totalVideoFrames: quality.totalVideoFrames, droppedVideoFrames: quality.droppedVideoFrames,
      stats: r.gate.stats(), reports: r.gate.reports(),
    };
    r.gate.close();
    result[id].liveAfterClose = video.getAttribute('data-frameseal-live');
  }
  result.times = window.times;
  return result;
};
// Liveness: a hold-mode gate on 'gated' with a short stall time, fed
// \`names\` up to \`upTo\`; window.feed appends the rest one at a time.
window.liveness = async (names, upTo, stallAfterMs) => {
  const video = document.getElementById('gated');
  const attr = () => video.getAttribute('data-frameseal-live');
  const events = [];
  const bad = [];
  for (const options of [{ stallAfterMs: 0 }, { stallAfterMs: '1s' }, { onStall: 1 }, { reportIntervalMs: 1000 }]) {
    try { new SignedVideoMseGate(document.getElementById('naive'), options).close(); bad.push('no throw'); } catch (e) { bad.push(e.reason); }
  }
  const gate = new SignedVideoMseGate(video, {
    stallAfterMs,
    onStall: (ms) => events.push({ kind: 'stall', ms, attr: attr() }),
    onResume: () => events.push({ kind: 'resume', attr: attr() }),
  });
  const l = { gate, events, names, next: 0, appended: [] };
  window.live = l;
  window.feed = async () => {
    const r = await gate.append(await fetchBytes(l.names[l.next++]));
    l.appended.push(r.appended);
  };
  while (l.next < upTo) await window.feed();
  video.play().catch(() => {});
  return bad;
};
window.liveState = () => {
  const l = window.live;
  const video = document.getElementById('gated');
  return {
    attr: video.getAttribute('data-frameseal-live'), live: l.gate.live, drawn: l.gate.stats().drawn,
    events: l.events, appended: l.appended, currentTime: video.currentTime, readyState: video.readyState,
  };
};
window.ready = true;
</script>`;

for (const engine of ENGINES) test(`${engine}: SignedVideoMseGate plays the fMP4 recording's authentic pictures only, over the tampered GOP's hole`, {
  timeout: 180_000,
}, async () => {
  assert.ok(existsSync(path.join(ROOT, 'pkg/signed-video/frameseal_signed_video.js')), 'pkg/signed-video/ is not built (./build.sh build)');
  const { init, segments } = fragmented(TAMPERED);
  assert.equal(segments.length, 5, 'one fragment per GOP');
  const names = ['init.mp4', ...segments.map((_, i) => `seg${i}.m4s`)];
  const extra = {};
  [init, ...segments].forEach((body, i) => { extra[`/f/${names[i]}`] = { type: 'application/octet-stream', body }; });
  const server = await startPkgServer(MSE_PAGE, path.join(ROOT, 'pkg'), extra);
  try {
    await withBrowser(engine, async (browser) => {
      const { page, problems } = await openPage(browser);
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
      await page.evaluate((n) => window.run(n), names);
      for (const id of ['gated', 'naive']) {
        await page.waitForFunction((i) => window.played(i), id, { timeout: 60_000 }).catch(async (e) => {
          const state = await page.evaluate((i) => {
            const v = document.getElementById(i);
            const b = Array.from({ length: v.buffered.length }, (_, k) => [v.buffered.start(k), v.buffered.end(k)]);
            return { currentTime: v.currentTime, buffered: b, paused: v.paused, readyState: v.readyState, error: v.error && v.error.message };
          }, id);
          throw new Error(`${id}: playback did not reach the end of its buffer: ${JSON.stringify(state)}`, { cause: e });
        });
      }
      const out = await page.evaluate(() => window.finish());
      const { gated, naive, times } = out;
      assert.equal(times.length, 256);
      // The tampered GOP's time range, and one frame of slack.
      const from = times[124][0];
      const to = times[186][0];
      // A frame's duration (ffmpeg gives the first GOP's pictures a tick
      // each: the recording's first edit).
      const frame = times[186][1];
      assert.ok(frame > 0 && to - from > 50 * frame);
      const inside = (t) => t > from + frame && t < to - frame;
      const overlap = (b) => b.reduce((n, [s, e]) => n + Math.max(0, Math.min(e, to) - Math.max(s, from)), 0);

      assert.match(gated.mimeType, /^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
      assert.deepEqual(gated.appended, [0, 0, 62, 62, 0, 62], 'each authentic GOP appended once the next one came');
      assert.deepEqual(naive.appended, [0, 62, 62, 62, 62, 8]);
      assert.deepEqual(gated.reports.map((r) => [r.firstFrame, r.verdict]),
        [[0, 'authentic'], [62, 'authentic'], [124, 'tampered'], [186, 'authentic']]);
      assert.equal(gated.stats.appended, 186);
      assert.equal(gated.stats.dropped.tampered, 62);

      // Playback jumped the hole and reached the last authentic picture.
      assert.ok(gated.currentTime > to, `currentTime ${gated.currentTime} passed the tampered GOP (${from}-${to})`);
      assert.ok(Math.abs(gated.end - (times[247][0] + frame)) < frame,
        `the buffer ends with picture 247 (${gated.end}; ${JSON.stringify(times.slice(244, 250))})`);
      // What the element processed: the appended pictures, exactly.
      // What the element processed (presented or dropped by the
      // compositor): the appended pictures. Chromium processes every one
      // (186, and 256 in mark mode); Firefox does not count the last
      // picture of a buffered range that playback stops at (the stream is
      // not ended) or jumps from (the hole): at most one a range short.
      const ranges = (b) => b.length;
      const gatedRanges = ranges(gated.buffered.at(-1));
      assert.equal(gatedRanges, 2, 'two buffered ranges: before and after the hole');
      assert.ok(gated.totalVideoFrames <= 186 && gated.totalVideoFrames >= 186 - gatedRanges,
        `the gated element processed the 186 authentic pictures (${gated.totalVideoFrames})`);
      assert.ok(naive.totalVideoFrames <= 256 && naive.totalVideoFrames >= 255,
        `the mark-mode element processed all 256 (${naive.totalVideoFrames})`);
      assert.equal(gated.presented.filter(inside).length, 0, 'no picture of the tampered GOP presented');
      assert.ok(naive.presented.filter(inside).length > 0, 'the mark-mode element presents the tampered GOP');
      assert.ok(gated.presented.length > 0 && gated.presented.some((t) => t > to), 'pictures after the hole presented');
      // The tampered GOP's time range is never buffered beyond a frame.
      assert.ok(gated.buffered.length > 5);
      const worst = Math.max(...gated.buffered.map(overlap));
      assert.ok(worst <= frame + 1e-3, `at most a frame of the tampered range buffered (${worst} s)`);
      assert.ok(naive.buffered.some((b) => overlap(b) > (to - from) / 2), 'the mark-mode element buffers it');
      // data-frameseal-live.
      assert.equal(gated.liveAfterNew, 'false');
      assert.ok(gated.live.includes('true'), 'live while authentic pictures play');
      assert.ok(gated.stats.drawn > 0 && gated.stats.drawn <= 186, `drawn ${gated.stats.drawn}`);
      assert.equal(gated.liveAfterClose, 'false');
      console.log(`${engine} (MSE): presented ${gated.presented.length} (naive ${naive.presented.length}), `
        + `processed ${gated.totalVideoFrames}/${naive.totalVideoFrames}, dropped by the compositor ${gated.droppedVideoFrames}, `
        + `drawn ${gated.stats.drawn}, currentTime ${gated.currentTime.toFixed(3)}, hole ${from.toFixed(3)}-${to.toFixed(3)}`);
      assert.deepEqual(problems, []);
    });
  } finally {
    server.close();
  }
});

for (const engine of ENGINES) test(`${engine}: SignedVideoMseGate liveness: data-frameseal-live 'false' and onStall when no new picture comes, 'true' and onResume when one does`, {
  timeout: 120_000,
}, async () => {
  assert.ok(existsSync(path.join(ROOT, 'pkg/signed-video/frameseal_signed_video.js')), 'pkg/signed-video/ is not built (./build.sh build)');
  const { init, segments } = fragmented(TAMPERED);
  const names = ['init.mp4', ...segments.map((_, i) => `seg${i}.m4s`)];
  const extra = {};
  [init, ...segments].forEach((body, i) => { extra[`/f/${names[i]}`] = { type: 'application/octet-stream', body }; });
  const server = await startPkgServer(MSE_PAGE, path.join(ROOT, 'pkg'), extra);
  const STALL_MS = 1000;
  try {
    await withBrowser(engine, async (browser) => {
      const { page, problems } = await openPage(browser);
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
      const state = () => page.evaluate(() => window.liveState());
      const waitFor = async (what, fn, arg) => {
        await page.waitForFunction(fn, arg, { timeout: 30_000 }).catch(async (e) => {
          throw new Error(`${what}: ${JSON.stringify(await state())}`, { cause: e });
        });
        return state();
      };
      // init, seg0, seg1: the first GOP's verdict is in, its pictures appended.
      const bad = await page.evaluate(([n, s]) => window.liveness(n, 3, s), [names, STALL_MS]);
      assert.deepEqual(bad, ['bad-options', 'bad-options', 'bad-options', 'bad-options']);

      const playing = await waitFor('live while the first GOP plays',
        () => window.liveState().attr === 'true');
      assert.deepEqual(playing.appended, [0, 0, 62]);
      assert.equal(playing.live, true);
      const resumes = (s) => s.events.filter((e) => e.kind === 'resume').length;
      const stalls = (s) => s.events.filter((e) => e.kind === 'stall').length;
      assert.ok(resumes(playing) >= 1, 'onResume for the first picture');

      // Nothing more appended: the element plays to the end of the GOP,
      // then presents nothing new for the stall time.
      const stalled = await waitFor('not live once no new picture came for the stall time',
        (n) => window.liveState().attr === 'false' && window.liveState().events.filter((e) => e.kind === 'stall').length > n,
        stalls(playing));
      assert.equal(stalled.live, false);
      const stall = stalled.events.at(-1);
      assert.equal(stall.kind, 'stall');
      assert.ok(stall.ms >= STALL_MS, `onStall got the ms since the last new picture (${stall.ms})`);
      assert.equal(stall.attr, 'false', 'the attribute is set before onStall is called');
      assert.ok(stalled.drawn > 0 && stalled.drawn <= 62, `drawn ${stalled.drawn}`);

      // seg2 completes the second GOP (authentic): appended, presented, live again.
      await page.evaluate(() => window.feed());
      const resumed = await waitFor('live again once a new picture is presented',
        (n) => window.liveState().attr === 'true' && window.liveState().events.filter((e) => e.kind === 'resume').length > n,
        resumes(stalled));
      assert.deepEqual(resumed.appended, [0, 0, 62, 62]);
      assert.equal(resumed.live, true);
      assert.equal(resumed.events.at(-1).kind, 'resume');
      assert.equal(resumed.events.at(-1).attr, 'true', 'the attribute is set before onResume is called');
      assert.ok(resumed.drawn > stalled.drawn, `new pictures drawn (${stalled.drawn} -> ${resumed.drawn})`);
      console.log(`${engine} (MSE liveness): events ${resumed.events.map((e) => e.kind).join(',')}, `
        + `stall after ${Math.round(stall.ms)} ms, drawn ${stalled.drawn} -> ${resumed.drawn}`);
      assert.deepEqual(problems, []);
    });
  } finally {
    server.close();
  }
});
