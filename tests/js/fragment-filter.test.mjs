// FragmentFilter (SPEC §7) through the built package, on every build: the
// HLS fixtures (tests/fixtures/hls/: a camera that seals every access unit
// in-band, and another home's segment sealed by another key) and ffmpeg's
// unsealed fMP4 (tests/fixtures/fmp4/), option and argument errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { FragmentFilter } from '../../pkg/frameseal.js';
import { load, hex } from './lib.mjs';

load();

const hls = (name) => new Uint8Array(readFileSync(new URL(`../fixtures/hls/${name}`, import.meta.url)));
const fmp4 = (name) => new Uint8Array(readFileSync(new URL(`../fixtures/fmp4/${name}`, import.meta.url)));
const KEY = hex(new TextDecoder().decode(hls('camera.pub')).trim().split(/\s+/)[1]);
/** The fixtures' capture time. */
const AT_MS = 1_780_000_000_000;
const at = () => AT_MS;
const summary = (r) => r.results.map((x) => (x.ok ? (x.kept ? '+' : x.notKept) : x.reason));

/** A file's top-level boxes split as init (ftyp, moov) and moof+mdat pairs. */
function split(file) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let init = null;
  const segments = [];
  for (let at = 0; at < file.length;) {
    const size = view.getUint32(at);
    const kind = String.fromCharCode(...file.subarray(at + 4, at + 8));
    if (kind === 'moov') init = file.subarray(0, at + size);
    if (kind === 'moof') segments.push([at, at + size]);
    if (kind === 'mdat') segments[segments.length - 1][1] = at + size;
    at += size;
  }
  return { init, segments: segments.map(([a, b]) => file.subarray(a, b)) };
}

test('the camera\'s segments are kept, another home\'s are foreign-key, the init comes once', () => {
  const f = new FragmentFilter(KEY, { now: at });
  assert.equal(f.mimeType(), undefined, 'no init segment yet');
  f.init(hls('camera-init.mp4'));
  assert.match(f.mimeType(), /^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
  const inits = [];
  for (const [name, want] of [
    ['camera0.m4s', '+'], ['camera1.m4s', '+'], ['other2.m4s', 'foreign-key'], ['camera3.m4s', '+'],
  ]) {
    const segment = hls(name);
    const r = f.filter(segment);
    assert.deepEqual(summary(r), Array(15).fill(want), name);
    if (r.init) inits.push(name);
    if (want === '+') {
      assert.ok(r.bytes instanceof Uint8Array && r.bytes.length > 0, name);
      const first = r.results[0];
      assert.equal(first.keyframe, true);
      assert.equal(first.codec, 'h264');
      assert.equal(first.payload.buffer, segment.buffer, 'a result\'s payload is a view of the segment');
    } else {
      assert.equal(r.bytes, null);
      assert.deepEqual(r.results[0], { ok: false, reason: 'foreign-key', kept: false });
    }
  }
  assert.deepEqual(inits, ['camera0.m4s']);
  const s = f.stats();
  assert.equal(s.accepted, 45);
  assert.equal(s.dropped['foreign-key'], 15);
  assert.equal(s.skippedUntilKeyframe, 0);
});

test('the init segment handed out is cleaned: the edit list kept, the sizes right', () => {
  const f = new FragmentFilter(KEY, { now: at });
  const init = hls('camera-init.mp4');
  f.init(init);
  const cleaned = f.filter(hls('camera0.m4s')).init;
  // The filter takes its own output again as an init segment, unchanged.
  const g = new FragmentFilter(KEY, { now: at });
  g.init(cleaned);
  assert.equal(g.mimeType(), f.mimeType());
  assert.deepEqual(summary(g.filter(hls('camera0.m4s'))), Array(15).fill('+'));
  assert.ok(cleaned.length <= init.length);
});

test('a segment after a lost one waits for a keyframe; a cut segment is one malformed drop', () => {
  const f = new FragmentFilter(KEY, { now: at });
  f.init(hls('camera-init.mp4'));
  f.filter(hls('camera0.m4s'));
  // camera1 lost: camera2's... the fixture has the other home's instead;
  // camera3 starts with a keyframe, so it is kept whole.
  assert.deepEqual(summary(f.filter(hls('camera3.m4s'))), Array(15).fill('+'));
  const cut = hls('camera1.m4s').subarray(0, 200);
  const r = f.filter(cut);
  assert.deepEqual(summary(r), ['malformed']);
  assert.equal(r.bytes, null);
  assert.equal(f.stats().unreadableSegments, 1);
  assert.equal(f.stats().dropped.malformed, 1);
});

test('unsealed fMP4 from ffmpeg is unsigned, nothing is kept, other tracks are counted', () => {
  for (const name of ['h264_gop.mp4', 'h264_every_frame.mp4', 'h265_gop.mp4', 'av1_gop.mp4', 'h264_aac.mp4']) {
    const { init, segments } = split(fmp4(name));
    const f = new FragmentFilter(KEY);
    f.init(init);
    let samples = 0;
    for (const segment of segments) {
      const r = f.filter(segment);
      assert.ok(r.results.length > 0 && r.results.every((x) => x.reason === 'unsigned'), name);
      assert.equal(r.init, null);
      assert.equal(r.bytes, null);
      samples += r.results.length;
    }
    assert.equal(samples, 24, name);
    assert.equal(f.stats().dropped.unsigned, 24);
    assert.equal(f.stats().otherTrackSamples > 0, name === 'h264_aac.mp4', name);
  }
});

test('ffmpeg\'s fMP4 of a sealed stream, one fragment per frame and per GOP: kept, and a lost fragment costs its GOP', () => {
  const key = hex(new TextDecoder().decode(fmp4('sealed-camera.pub')).trim().split(/\s+/)[1]);
  const frames = split(fmp4('h264_sealed_every_frame.mp4'));
  const gops = split(fmp4('h264_sealed_gop.mp4'));
  assert.equal(frames.segments.length, 24);
  assert.equal(gops.segments.length, 2);
  for (const { init, segments } of [frames, gops]) {
    const f = new FragmentFilter(key, { now: at });
    f.init(init);
    let kept = 0;
    let inits = 0;
    for (const segment of segments) {
      const r = f.filter(segment);
      kept += r.results.filter((x) => x.kept).length;
      if (r.init) inits++;
    }
    assert.equal(kept, 24);
    assert.equal(inits, 1);
  }
  // Fragment 3 lost: 4..11 wait for the keyframe at 12.
  const f = new FragmentFilter(key, { now: at });
  f.init(frames.init);
  const got = frames.segments.filter((_, i) => i !== 3).map((s) => summary(f.filter(s))[0]);
  assert.deepEqual(got, [
    '+', '+', '+', ...Array(8).fill('skipped-until-keyframe'), ...Array(12).fill('+'),
  ]);
  assert.equal(f.stats().skippedUntilKeyframe, 8);
});

test('bad arguments and options throw with a message that names them', () => {
  assert.throws(() => new FragmentFilter(new Uint8Array(31)), /linkedPublicKey/);
  assert.throws(() => new FragmentFilter(KEY, { maxAge: 5 }), /maxAge/);
  assert.throws(() => new FragmentFilter(KEY, { tables: 'small' }), /tables/);
  const f = new FragmentFilter(KEY, { now: at, tables: 'compact' });
  assert.throws(() => f.filter(hls('camera0.m4s')), /before any init segment/);
  assert.throws(() => f.init('moov'), /initSegment must be a Uint8Array/);
  assert.throws(() => f.init(hls('camera0.m4s')), /^Error: init: init segment: /);
  f.init(hls('camera-init.mp4'));
  assert.throws(() => f.filter([1, 2, 3]), /mediaSegment must be a Uint8Array/);
  // Still usable after every error.
  assert.deepEqual(summary(f.filter(hls('camera0.m4s'))), Array(15).fill('+'));
});

test('options are read from own properties only', () => {
  Object.prototype.streamId = new Uint8Array(16).fill(0xee);
  Object.prototype.now = () => AT_MS;
  try {
    const f = new FragmentFilter(KEY, { now: at });
    f.init(hls('camera-init.mp4'));
    assert.deepEqual(summary(f.filter(hls('camera0.m4s'))), Array(15).fill('+'));
    // No now of its own: the inherited clock (which would accept) is not used; Date.now() is months before the fixtures.
    const g = new FragmentFilter(KEY, {});
    g.init(hls('camera-init.mp4'));
    assert.notDeepEqual(summary(g.filter(hls('camera0.m4s'))), Array(15).fill('+'));
  } finally {
    delete Object.prototype.streamId;
    delete Object.prototype.now;
  }
});
