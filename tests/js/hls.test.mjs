// frameseal/hls (pkg/hls/index.js) in Node, with a fake of hls.js's loader
// contract: the class hls.js instantiates as `fLoader`, wrapping the
// configured `loader`, with hls.js's FragmentLoaderContext ({ frag, part,
// url }) and callbacks. The bytes are the HLS fMP4 fixtures
// (tests/fixtures/hls/: in-band sealed H.264 cut by FFmpeg's HLS muxer, and
// a segment of another camera), filtered by the package's real
// FragmentFilter. What hls.js does with the bytes it is handed is the
// browser test's (tests/e2e/hls-package.test.mjs).
// Run: node --test tests/js/hls.test.mjs   (after building pkg/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import Hls, { Fragment, LevelDetails } from 'hls.js';

import { FragmentFilter } from '../../pkg/frameseal.js';
import { attachFrameseal, framesealLoader, FramesealHls } from '../../pkg/hls/index.js';
import { load } from './lib.mjs';

load();

const FIXTURES = new URL('../fixtures/hls/', import.meta.url);
const fixture = (name) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const KEY = Uint8Array.from(Buffer.from(readFileSync(new URL('camera.pub', FIXTURES), 'utf8').trim().split(/\s+/).pop(), 'hex'));
/** The fixtures carry one capture time; freshness is not what these tests are about. */
const OPTIONS = { maxAgeMs: null, maxFutureSkewMs: null };
const FILES = ['camera-init.mp4', 'camera0.m4s', 'camera1.m4s', 'camera2.m4s', 'camera3.m4s', 'other2.m4s'];
const BYTES = Object.fromEntries(FILES.map((f) => [f, fixture(f)]));

/**
 * A stand-in for hls.js's XhrLoader/FetchLoader: serves BYTES by URL when
 * the test says so (`release(url)`), or fails with 404.
 */
class FakeLoader {
  static made = [];

  constructor(config) {
    this.config = config;
    this.stats = { loaded: 0, retry: 0, aborted: false };
    this.context = null;
    this.callbacks = null;
    this.destroyed = false;
    FakeLoader.made.push(this);
  }

  load(context, config, callbacks) {
    this.context = context;
    this.callbacks = callbacks;
    this.loadConfig = config;
  }

  /** Completes the load: its file's bytes (a fresh ArrayBuffer, as XHR gives), or a 404. */
  release() {
    const bytes = BYTES[this.context.url];
    if (!bytes) {
      this.callbacks.onError({ code: 404, text: 'Not Found' }, this.context, null, this.stats);
      return;
    }
    this.stats.loaded = bytes.length;
    this.callbacks.onSuccess({ url: this.context.url, data: bytes.slice().buffer }, this.stats, this.context, null);
  }

  abort() { this.stats.aborted = true; this.callbacks?.onAbort?.(this.stats, this.context, null); }
  destroy() { this.destroyed = true; this.callbacks = null; }
}

/** hls.js Fragment stand-ins: the init segment and media segments sharing it. */
function playlist(names, { encrypted = false } = {}) {
  const initSegment = { sn: 'initSegment', type: 'main', level: 0, url: 'camera-init.mp4' };
  const frags = names.map((url, sn) => ({ sn, type: 'main', level: 0, url, initSegment, start: sn, duration: 1 }));
  if (encrypted) for (const f of [initSegment, ...frags]) f.decryptdata = { method: 'AES-128' };
  return { initSegment, frags };
}

/**
 * Loads `frag` (or `part` of it) through an instance of `Loader` as hls.js
 * does; resolves to { kind: 'success' | 'error' | 'abort' | 'timeout', data, args }.
 * `onLoader(inner)` sees the fake loader it wraps.
 */
function loadThrough(Loader, frag, { part = null, progress = false } = {}) {
  const config = { loader: FakeLoader };
  const loader = new Loader(config);
  const inner = FakeLoader.made.at(-1);
  const chunks = [];
  const done = new Promise((resolve) => {
    const callbacks = {
      onSuccess: (response, stats, context) => resolve({ kind: 'success', data: response.data, context, stats, chunks }),
      onError: (...args) => resolve({ kind: 'error', args }),
      onTimeout: (...args) => resolve({ kind: 'timeout', args }),
      onAbort: (...args) => resolve({ kind: 'abort', args }),
    };
    if (progress) callbacks.onProgress = (stats, context, data) => chunks.push(data);
    loader.load({ frag, part, url: (part ?? frag).url, responseType: 'arraybuffer' }, { timeout: 1000 }, callbacks);
  });
  return { loader, inner, done };
}

/** Loads `frag` to completion (the fake releases at once). */
async function load1(Loader, frag, options) {
  const run = loadThrough(Loader, frag, options);
  run.inner.release();
  return run.done;
}

/** What the package's FragmentFilter makes of `names` (after the camera's init), one filter() each. */
function direct(names) {
  const f = new FragmentFilter(KEY, OPTIONS);
  f.init(BYTES['camera-init.mp4']);
  return names.map((n) => f.filter(BYTES[n]));
}

const u8 = (buffer) => new Uint8Array(buffer);
const boxType = (bytes, at) => String.fromCharCode(...bytes.subarray(at + 4, at + 8));

test('hls.js gets an empty init segment, the kept samples, and the vouched init where it keeps EXT-X-MAP bodies', async () => {
  const names = ['camera0.m4s', 'camera1.m4s', 'camera2.m4s', 'camera3.m4s'];
  const events = [];
  const Loader = framesealLoader(KEY, { ...OPTIONS, onFilter: (e) => events.push(e) });
  const { initSegment, frags } = playlist(names);
  const init = await load1(Loader, initSegment);
  assert.equal(init.kind, 'success');
  assert.equal(init.data.byteLength, 0, 'the EXT-X-MAP body hls.js sees is empty');
  const expected = direct(names);
  const vouched = expected[0].init;
  assert.ok(vouched && vouched.length > 0, 'the first segment vouches for the init');
  assert.equal(initSegment.data, undefined, 'nothing in place of EXT-X-MAP before a keyframe vouched');
  for (const [i, frag] of frags.entries()) {
    // hls.js reloading the init segment (its body empty again) gets it back with the next samples.
    if (i === 3) initSegment.data = new Uint8Array(0);
    const r = await load1(Loader, frag);
    assert.equal(r.kind, 'success');
    assert.ok(r.data instanceof ArrayBuffer);
    assert.deepEqual(u8(r.data), expected[i].bytes, `segment ${i}: FragmentFilter's bytes`);
    assert.deepEqual(initSegment.data, vouched, 'the vouched init where hls.js reads EXT-X-MAP bodies');
  }
  // A segment loaded again: every sample replayed, nothing for hls.js.
  assert.equal((await load1(Loader, frags[3])).data.byteLength, 24);
  assert.deepEqual(events.map((e) => [e.sn, e.part, e.kept, e.results.length]),
    [[0, null, 15, 15], [1, null, 15, 15], [2, null, 15, 15], [3, null, 15, 15], [3, null, 0, 15]]);
  assert.ok(events[4].results.every((r) => !r.ok && r.reason === 'replayed'), 'a segment loaded again is replayed');
  const stats = Loader.frameseal.stats();
  assert.equal(stats.accepted, 60);
  assert.deepEqual(stats.hls, { initSegments: 1, segments: 5, parts: 0, emptyPayloads: 1, repeats: 0, refused: 0 });
  assert.match(Loader.frameseal.mimeType(), /^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
});

test('a segment of another camera reaches hls.js as a moof without samples; the next keyframe plays on', async () => {
  const names = ['camera0.m4s', 'camera1.m4s', 'other2.m4s', 'camera3.m4s'];
  const drops = [];
  const Loader = framesealLoader(KEY, { ...OPTIONS, onDrop: (r) => drops.push(r.reason) });
  const { initSegment, frags } = playlist(names);
  await load1(Loader, initSegment);
  const payloads = [];
  for (const frag of frags) payloads.push(u8((await load1(Loader, frag)).data));
  const foreign = payloads[2];
  assert.equal(foreign.length, 24);
  assert.equal(boxType(foreign, 0), 'moof');
  assert.equal(boxType(foreign, 8), 'mfhd', 'one mfhd, no traf: no track, no sample');
  assert.ok(!Buffer.from(foreign).includes(Buffer.from('mdat')));
  const expected = direct(names);
  assert.equal(expected[2].bytes, null);
  assert.deepEqual(payloads[3], expected[3].bytes, 'camera3 starts with a keyframe: kept');
  assert.deepEqual(initSegment.data, expected[0].init);
  assert.deepEqual(drops, Array(15).fill('foreign-key'));
  const stats = Loader.frameseal.stats();
  assert.equal(stats.dropped['foreign-key'], 15);
  assert.equal(stats.accepted, 45);
  assert.equal(stats.hls.emptyPayloads, 1);
});

test('a segment that gave hls.js nothing, asked for again byte for byte, gets the same answer unfiltered and not at once', async () => {
  const Loader = framesealLoader(KEY, OPTIONS);
  const { initSegment, frags } = playlist(['camera0.m4s', 'camera1.m4s', 'other2.m4s']);
  await load1(Loader, initSegment);
  for (const frag of frags) await load1(Loader, frag);
  frags[2].elementaryStreams = { video: { startPTS: 2, endPTS: 3 }, audio: null, audiovideo: null };
  const started = Date.now();
  const again = await load1(Loader, frags[2]);
  assert.ok(Date.now() - started >= 400, 'half the segment duration later at the earliest');
  assert.equal(again.data.byteLength, 24);
  assert.equal(boxType(u8(again.data), 0), 'moof');
  const stats = Loader.frameseal.stats();
  assert.equal(stats.dropped['foreign-key'], 15, 'judged once');
  assert.deepEqual(stats.hls, { initSegments: 1, segments: 3, parts: 0, emptyPayloads: 1, repeats: 1, refused: 0 });
  // The first answer cleared what hls.js had noted for the segment, so it sees no media in it.
  const first = playlist(['other2.m4s']);
  const seal = framesealLoader(KEY, OPTIONS);
  await load1(seal, first.initSegment);
  first.frags[0].elementaryStreams = { video: { startPTS: 1, endPTS: 1 }, audio: null, audiovideo: null };
  await load1(seal, first.frags[0]);
  assert.deepEqual(first.frags[0].elementaryStreams, { video: null, audio: null, audiovideo: null });
});

test('nothing is kept, and no init handed over, before a keyframe of the linked camera vouched', async () => {
  // The other camera's segment first: every sample foreign, nothing vouched yet.
  const Loader = framesealLoader(KEY, OPTIONS);
  const { initSegment, frags } = playlist(['other2.m4s', 'camera1.m4s']);
  await load1(Loader, initSegment);
  const first = u8((await load1(Loader, frags[0])).data);
  assert.equal(boxType(first, 0), 'moof');
  assert.equal(first.length, 24);
  assert.equal(initSegment.data, undefined, 'no init segment for hls.js yet');
  const second = u8((await load1(Loader, frags[1])).data);
  assert.ok(second.length > 1000);
  assert.equal(boxType(initSegment.data, 0), 'ftyp', 'camera1 starts with a keyframe: it vouches, the init comes with its samples');
  assert.equal(Loader.frameseal.stats().accepted, 15);
});

test('a media segment that finishes loading before its init segment waits for it; order is kept', async () => {
  const Loader = framesealLoader(KEY, OPTIONS);
  const { initSegment, frags } = playlist(['camera0.m4s']);
  const media = loadThrough(Loader, frags[0]);
  const init = loadThrough(Loader, initSegment);
  media.inner.release();
  let settled = false;
  media.done.then(() => { settled = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'no filter() before init()');
  init.inner.release();
  assert.equal((await init.done).kind, 'success');
  const r = await media.done;
  assert.equal(r.kind, 'success');
  assert.deepEqual(u8(r.data), direct(['camera0.m4s'])[0].bytes);
});

test('LL-HLS parts go through the same filter; a part with nothing kept becomes a gap part and ends in onAbort', async () => {
  // tests/fixtures/hls/ll/: parts of 5 frames; the mixed-up stream takes parts 6 and 7 from the other camera.
  for (const n of [...Array(12).keys()]) BYTES[`ll/camera${n}.m4s`] = fixture(`ll/camera${n}.m4s`);
  for (const n of [6, 7]) BYTES[`ll/other${n}.m4s`] = fixture(`ll/other${n}.m4s`);
  BYTES['ll/init.mp4'] = fixture('ll/init.mp4');
  const Loader = framesealLoader(KEY, OPTIONS);
  const events = [];
  Loader.frameseal._onFilter = (e) => events.push([e.sn, e.part, e.kept]);
  const initSegment = { sn: 'initSegment', type: 'main', level: 0, url: 'll/init.mp4' };
  await load1(Loader, initSegment);
  const outcomes = [];
  for (let n = 0; n < 12; n++) {
    const frag = { sn: Math.floor(n / 3), type: 'main', level: 0, initSegment, start: Math.floor(n / 3), duration: 1 };
    const part = { index: n % 3, url: n === 6 || n === 7 ? `ll/other${n}.m4s` : `ll/camera${n}.m4s`, fragment: frag, gap: false };
    const r = await load1(Loader, frag, { part });
    outcomes.push(r.kind === 'abort' ? `abort${part.gap ? '+gap' : ''}${r.args[0].aborted ? '+aborted' : ''}` : r.kind);
    if (r.kind === 'success') assert.equal(boxType(u8(r.data), 0), 'moof');
  }
  assert.deepEqual(outcomes, [...Array(6).fill('success'), 'abort+gap+aborted', 'abort+gap+aborted', 'abort+gap+aborted', 'success', 'success', 'success']);
  assert.deepEqual(events.map(([sn, part]) => [sn, part]), [...Array(12).keys()].map((n) => [Math.floor(n / 3), n % 3]));
  const stats = Loader.frameseal.stats();
  assert.equal(stats.dropped['foreign-key'], 10);
  assert.equal(stats.skippedUntilKeyframe, 5, 'part 8: the rest of the GOP');
  assert.equal(stats.accepted, 50, 'the skipped samples are verified too');
  assert.deepEqual(stats.hls, { initSegments: 1, segments: 0, parts: 12, emptyPayloads: 3, repeats: 0, refused: 0 });
  assert.equal(boxType(initSegment.data, 0), 'ftyp');
});

test('progressive loading: the real loader gets no onProgress; hls.js gets the filtered segment as one chunk', async () => {
  const Loader = framesealLoader(KEY, OPTIONS);
  const { initSegment, frags } = playlist(['camera0.m4s']);
  await load1(Loader, initSegment, { progress: true });
  const run = loadThrough(Loader, frags[0], { progress: true });
  assert.equal(run.inner.callbacks.onProgress, undefined, 'no unfiltered chunk can reach hls.js');
  run.inner.release();
  const r = await run.done;
  assert.equal(r.chunks.length, 1);
  assert.deepEqual(u8(r.chunks[0]), u8(r.data));
  assert.deepEqual(u8(r.data), direct(['camera0.m4s'])[0].bytes);
});

test('error paths: network errors pass through; a bad init, no init, encryption and closing fail the load', async () => {
  const Loader = framesealLoader(KEY, OPTIONS);
  // A 404 from the real loader reaches hls.js unchanged.
  const missing = await load1(Loader, { sn: 9, level: 0, url: 'missing.m4s', initSegment: { sn: 'initSegment', url: 'camera-init.mp4' } });
  assert.equal(missing.kind, 'error');
  assert.deepEqual(missing.args[0], { code: 404, text: 'Not Found' });

  // An init segment the filter cannot use (a media segment in its place).
  const bad = await load1(Loader, { sn: 'initSegment', level: 0, url: 'camera0.m4s' });
  assert.equal(bad.kind, 'error');
  assert.match(bad.args[0].text, /^frameseal: bad-init-segment: /);

  // A segment without an init segment (MPEG-TS, self-initialising fMP4).
  const noInit = await load1(Loader, { sn: 0, level: 0, url: 'camera0.m4s', initSegment: null });
  assert.equal(noInit.kind, 'error');
  assert.match(noInit.args[0].text, /^frameseal: no-init-segment: /);

  // Encrypted (hls.js decrypts after the loader): refused, never passed through.
  const enc = playlist(['camera0.m4s'], { encrypted: true });
  assert.match((await load1(Loader, enc.initSegment)).args[0].text, /^frameseal: encrypted: /);
  assert.match((await load1(Loader, enc.frags[0])).args[0].text, /^frameseal: encrypted: /);

  // A media segment that is not fMP4 after a good init: the filter counts it
  // unreadable and keeps nothing; hls.js gets no sample (a gap), no error.
  const good = playlist(['camera-init.mp4']);
  assert.equal((await load1(Loader, good.initSegment)).kind, 'success');
  const garbage = await load1(Loader, good.frags[0]);
  assert.equal(garbage.kind, 'success');
  assert.equal(boxType(u8(garbage.data), 0), 'moof');
  assert.equal(garbage.data.byteLength, 24);
  const stats = Loader.frameseal.stats();
  assert.equal(stats.unreadableSegments, 1);
  assert.equal(stats.hls.refused, 4);

  // A segment waiting for an init segment that is then refused fails too.
  const waiting = playlist(['camera0.m4s']);
  waiting.initSegment.url = 'camera1.m4s';
  const media = loadThrough(Loader, waiting.frags[0]);
  media.inner.release();
  assert.match((await load1(Loader, waiting.initSegment)).args[0].text, /^frameseal: bad-init-segment: /);
  assert.match((await media.done).args[0].text, /^frameseal: bad-init-segment: /);

  // Alternate audio (and subtitle) renditions: nothing in them is sealed.
  const audio = playlist(['camera0.m4s']);
  for (const f of [audio.initSegment, ...audio.frags]) f.type = 'audio';
  assert.match((await load1(Loader, audio.initSegment)).args[0].text, /^frameseal: not-video: /);
  assert.equal(Loader.frameseal.stats().hls.refused, 7);

  // After close(), nothing more is handed over.
  Loader.frameseal.close();
  const closed = await load1(Loader, playlist(['camera0.m4s']).frags[0]);
  assert.equal(closed.kind, 'error');
  assert.match(closed.args[0].text, /^frameseal: closed: /);
});

test('abort while waiting for the init segment: hls.js hears onAbort, never onSuccess', async () => {
  const Loader = framesealLoader(KEY, OPTIONS);
  const { initSegment, frags } = playlist(['camera0.m4s']);
  const media = loadThrough(Loader, frags[0]);
  media.inner.release();
  media.loader.abort();
  assert.equal((await media.done).kind, 'abort');
  // The init arriving later completes normally; the next load of the segment is filtered.
  assert.equal((await load1(Loader, initSegment)).kind, 'success');
  assert.equal((await load1(Loader, frags[0])).kind, 'success');
});

test('attachFrameseal sets the fLoader of an hls.js instance, keeps dropped segments from counting as errors, and after close() fails loads', async () => {
  const listeners = new Map();
  const level = { fragmentError: 1 };
  const hls = {
    config: { loader: FakeLoader, fLoader: undefined },
    levels: [level],
    media: null,
    on: (event, fn) => listeners.set(event, fn),
    off: (event, fn) => { if (listeners.get(event) === fn) listeners.delete(event); },
  };
  const seal = attachFrameseal(hls, KEY, OPTIONS);
  assert.ok(seal instanceof FramesealHls);
  assert.equal(hls.config.fLoader, seal.fLoader);
  assert.deepEqual([...listeners.keys()].sort(), ['hlsMediaAttaching', 'hlsMediaDetaching']);
  const { initSegment, frags } = playlist(['camera0.m4s', 'other2.m4s']);
  await load1(hls.config.fLoader, initSegment);
  await load1(hls.config.fLoader, frags[0]);
  assert.equal(level.fragmentError, 1, 'a kept segment leaves hls.js\'s count alone');
  await load1(hls.config.fLoader, frags[1]);
  assert.equal(level.fragmentError, 0, 'hls.js gaps an empty segment only while its error count is low');
  seal.close();
  assert.equal(hls.config.fLoader, seal.fLoader, 'a closed filter stays in front: nothing unverified gets through');
  assert.equal(listeners.size, 0);
  assert.match((await load1(hls.config.fLoader, frags[0])).args[0].text, /^frameseal: closed: /);
});

/**
 * A live stream on a real hls.js instance (node_modules/hls.js, no media)
 * whose segments frameseal/hls drops: each is loaded through the fLoader,
 * comes back as a moof without samples, and is noted as a gap the way
 * hls.js notes a segment in which it found no media (stream controller:
 * treatAsGap() -> fragmentTracker.addAsGap(frag)); then the playlist slides
 * on (LEVEL_UPDATED, as hls.js announces each reload). Returns hls.js's
 * tracker and the segments. `attach`: with attachFrameseal() (else the
 * fLoader alone, as framesealLoader() gives it).
 */
async function liveGaps({ attach, segments = 60, window = 6, playhead = null }) {
  // The interstitials controller's LEVEL_UPDATED handler needs the levels of
  // a parsed manifest, which this stand-in for the playlist loader skips.
  const hls = new Hls({ loader: FakeLoader, interstitialsController: null });
  if (playhead !== null) Object.defineProperty(hls, 'media', { value: { currentTime: playhead } });
  const Loader = attach ? attachFrameseal(hls, KEY, OPTIONS).fLoader : framesealLoader(KEY, OPTIONS);
  const tracker = hls.bufferController.fragmentTracker;
  const base = 'http://camera.test/live.m3u8';
  const initSegment = new Fragment('main', base);
  initSegment.sn = 'initSegment';
  initSegment.url = 'camera-init.mp4';
  assert.equal((await load1(Loader, initSegment)).kind, 'success');
  const frags = [];
  for (let sn = 0; sn < segments; sn++) {
    const frag = new Fragment('main', base);
    Object.assign(frag, { sn, level: 0, start: 2 * sn, duration: 2, initSegment });
    frag.url = 'other2.m4s';
    const r = await load1(Loader, frag);
    assert.equal(r.kind, 'success');
    assert.equal(r.data.byteLength, 24, `segment ${sn}: another camera's, a moof without samples`);
    tracker.addAsGap(frag);
    frags.push(frag);
    const details = new LevelDetails(base);
    Object.assign(details, { live: true, startSN: Math.max(0, sn - window + 1), endSN: sn, fragments: frags.slice(-window) });
    hls.trigger(Hls.Events.LEVEL_UPDATED, { details, level: 0 });
  }
  return { hls, tracker, frags };
}

test('gaps of dropped segments leave hls.js\'s FragmentTracker once out of the live playlist and behind the playhead', async () => {
  // hls.js alone keeps a tracker entry (and its Fragment) for every gap, for good.
  const before = await liveGaps({ attach: false });
  assert.equal(before.tracker.gapFragments().length, 60, 'hls.js on its own forgets no gap');
  // attachFrameseal(): only the gaps still in the playlist's window stay.
  const { tracker, frags } = await liveGaps({ attach: true });
  assert.deepEqual(tracker.gapFragments().map((f) => f.sn), [54, 55, 56, 57, 58, 59]);
  assert.equal(Object.keys(tracker.fragments).length, 6, 'nothing else is held for the dropped segments');
  assert.equal(tracker.getState(frags[54]), 'PARTIAL', 'a gap in the window is still hls.js\'s: it will not load it again');
  assert.equal(tracker.getState(frags[10]), 'NOT_LOADED');
  // Longer runs hold no more.
  assert.equal((await liveGaps({ attach: true, segments: 300 })).tracker.gapFragments().length, 6);
  // A gap the playhead has not passed yet stays, in the window or not (hls.js may still jump it).
  const lagging = await liveGaps({ attach: true, playhead: 81 });
  assert.deepEqual(lagging.tracker.gapFragments().map((f) => f.sn), [40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59]);
});

test('liveness: data-frameseal-live is "false" until a verified picture is presented, then "true", and "false" again when pictures stop', async () => {
  const attributes = new Map();
  const media = { currentTime: 0, readyState: 4, setAttribute: (k, v) => attributes.set(k, v) };
  const calls = [];
  const t0 = Date.now();
  // The fixtures' capture time, 50 ms ago when the test starts.
  const now = () => 1_780_000_000_000 + 50 + (Date.now() - t0);
  const seal = new FramesealHls(KEY, {
    ...OPTIONS, stallAfterMs: 300, now,
    onStall: (ms) => calls.push(['stall', ms]), onResume: () => calls.push(['resume']),
  });
  const { initSegment, frags } = playlist(['camera0.m4s']);
  await load1(seal.fLoader, initSegment);
  await load1(seal.fLoader, frags[0]);
  seal.watch(media);
  assert.equal(attributes.get('data-frameseal-live'), 'false');
  const until = async (value) => {
    while (attributes.get('data-frameseal-live') !== value) await new Promise((r) => setTimeout(r, 20));
  };
  media.currentTime = 0.5; // inside segment 0: a kept sample, captured about 50 ms before now()
  await until('true');
  assert.deepEqual(calls, [['resume']]);
  await until('false'); // currentTime stays: nothing new for stallAfterMs
  assert.equal(calls.length, 2);
  assert.equal(calls[1][0], 'stall');
  seal.close();
});

test('options: the FragmentFilter gets the Verifier options and checks them; own options are checked here', () => {
  assert.throws(() => framesealLoader(KEY, { maxAgeMs: -5 }), /maxAgeMs/);
  assert.throws(() => framesealLoader(KEY, { stallAfterMs: 0 }), /stallAfterMs/);
  assert.throws(() => framesealLoader(KEY, { onDrop: 5 }), /onDrop must be a function/);
  assert.throws(() => framesealLoader(new Uint8Array(31)), /linkedPublicKey must be a Uint8Array of 32 bytes/);
  assert.throws(() => attachFrameseal({}, KEY), /needs an hls.js instance/);
  // Inherited properties are never read (SPEC §4).
  const proto = { onDrop: 'not a function', stallAfterMs: 0, FragmentFilter: 5 };
  assert.doesNotThrow(() => framesealLoader(KEY, Object.assign(Object.create(proto), OPTIONS)));
});
