// The exact JS shapes of the stats, reports and stream info the package
// returns off the per-frame path (src/wasm/to_js.rs makes them from
// #[derive(Serialize)] structs): key names and order, which keys exist,
// numbers vs null, plain objects (Object.prototype) and arrays, the nested
// `dropped` / `gops` objects keyed by lower-case names. Each is taken from
// real use and compared with an expected object written out in full.
// FrameGate, VideoGate, MseGate and their reports need a browser: their
// counts are in tests/gate_browser.rs, tests/video_browser.rs and the e2e
// tests; their keys are the same structs' (see src/wasm/screen.rs).
// Run: node --test tests/js/   (after ./build.sh build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { FrameReader, FragmentFilter } from '../../pkg/frameseal.js';
import { load, camera, frame, verifier, accept, reason, hex, edited, REASONS, NOW_US } from './lib.mjs';

load();

/**
 * `value` with its structure made explicit for deepStrictEqual: an object
 * as its ordered [key, shape] entries (and a mark if its prototype is not
 * Object.prototype), an array element by element, a Uint8Array as its
 * bytes; `undefined` stays distinct from a missing key.
 */
function shape(value) {
  if (value instanceof Uint8Array) return { Uint8Array: [...value] };
  if (Array.isArray(value)) return { array: value.map(shape) };
  if (value !== null && typeof value === 'object') {
    const entries = Reflect.ownKeys(value).map((k) => [k, shape(value[k])]);
    return Object.getPrototypeOf(value) === Object.prototype ? { object: entries } : { exotic: entries };
  }
  return value;
}

const same = (actual, expected, what) => assert.deepStrictEqual(shape(actual), shape(expected), what);

const dropped = (counts = {}) => Object.fromEntries(REASONS.map((r) => [r, counts[r] ?? 0]));

test('Verifier.stats(): accepted, then every drop reason in check order', () => {
  const cam = camera(3);
  const v = verifier(cam.publicKey);
  same(v.stats(), { accepted: 0, dropped: dropped() }, 'before any frame');
  accept(v, frame(cam, new Uint8Array(8), { seq: 1 }));
  accept(v, frame(cam, new Uint8Array(8), { seq: 2 }));
  assert.equal(reason(v, frame(cam, new Uint8Array(8), { seq: 2 })), 'replayed');
  assert.equal(reason(v, frame(camera(4), new Uint8Array(8), { seq: 3 })), 'foreign-key');
  assert.equal(reason(v, edited(frame(cam, new Uint8Array(8), { seq: 4 }), (f) => { f[f.length - 1] ^= 1; })), 'bad-signature');
  assert.equal(reason(v, new Uint8Array(3)), 'malformed');
  same(v.stats(), {
    accepted: 2,
    dropped: dropped({ replayed: 1, 'foreign-key': 1, 'bad-signature': 1, malformed: 1 }),
  });
  assert.notEqual(v.stats(), v.stats(), 'a new object each call');
  v.free();
});

test('FrameReader.stats(): the Verifier\'s counts, then the reader\'s', () => {
  const cam = camera(5);
  const frames = [frame(cam, new Uint8Array(40), { seq: 1 }), frame(cam, new Uint8Array(5), { seq: 2 })];
  const reader = new FrameReader(cam.publicKey, { now: () => NOW_US / 1000 });
  same(reader.stats(), {
    accepted: 0, dropped: dropped(), inputBytes: 0, frames: 0, skippedBytes: 0, resyncs: 0, bufferedBytes: 0,
  });
  const results = [...reader.push(Uint8Array.of(1, 2, 3)), ...reader.push(frames[0]), ...reader.push(frames[1].subarray(0, 20))];
  assert.equal(results.length, 1);
  const n = 3 + frames[0].length + 20;
  same(reader.stats(), {
    accepted: 1, dropped: dropped(), inputBytes: n, frames: 1, skippedBytes: 3, resyncs: 1, bufferedBytes: 20,
  });
  reader.free();
});

const hls = (name) => new Uint8Array(readFileSync(new URL(`../fixtures/hls/${name}`, import.meta.url)));

test('FragmentFilter.stats(): the Verifier\'s counts, then the filter\'s', () => {
  const key = hex(new TextDecoder().decode(hls('camera.pub')).trim().split(/\s+/)[1]);
  const f = new FragmentFilter(key, { now: () => 1_780_000_000_000 });
  f.init(hls('camera-init.mp4'));
  f.filter(hls('camera0.m4s'));
  f.filter(hls('other2.m4s'));
  assert.deepEqual(f.filter(hls('camera1.m4s').subarray(0, 200)).results.map((r) => r.reason), ['malformed']);
  same(f.stats(), {
    accepted: 15,
    dropped: dropped({ 'foreign-key': 15, malformed: 1 }),
    skippedUntilKeyframe: 0,
    unvouchedKeyframes: 0,
    otherTrackSamples: 0,
    unreadableSegments: 1,
  });
  f.free();
});

// SignedVideoGate: the modern build only (see signed-video.test.mjs).
const OTHER_BUILD = process.env.FRAMESEAL_PKG ? `the Signed Video part has the modern build only (FRAMESEAL_PKG=${process.env.FRAMESEAL_PKG})` : false;
const signedVideo = (name) => new Uint8Array(readFileSync(new URL(`../fixtures/signed-video/${name}`, import.meta.url)));
let part;
async function gateClass() {
  if (!part) {
    part = await import('../../pkg/signed-video/frameseal_signed_video.js');
    part.initSync({ module: readFileSync(new URL('../../pkg/signed-video/frameseal_signed_video_bg.wasm', import.meta.url)) });
  }
  return part.SignedVideoGate;
}

const svDropped = (counts = {}) => Object.fromEntries(
  ['tampered', 'incomplete', 'unsigned', 'pending', 'unverifiable', 'foreign-key', 'not-covered', 'overflow'].map((r) => [r, counts[r] ?? 0]));
const svGops = (counts = {}) => Object.fromEntries(
  ['authentic', 'tampered', 'incomplete', 'unsigned', 'pending', 'unverifiable', 'foreign-key'].map((v) => [v, counts[v] ?? 0]));
const gopReport = (gop, firstFrame, frames, verdict, gopCounter, more = {}) => ({
  gop, firstFrame, frames, verdict, reason: null, gopCounter, invalidUnits: 0, missingUnits: 0,
  checkedFrames: verdict === 'pending' ? 0 : frames, tamperedFrames: [], ...more,
});

test('SignedVideoGate: stats(), reports() and info() of a fresh gate and of a recording', { skip: OTHER_BUILD }, async () => {
  const SignedVideoGate = await gateClass();
  const fresh = new SignedVideoGate({ codec: 'h264' });
  same(fresh.stats(), {
    released: 0, held: 0, heldBytes: 0, dropped: svDropped(), gops: svGops(), carried: 0, badSeis: 0, malformed: 0,
  });
  same(fresh.reports(), []);
  same(fresh.info(), {
    scheme: null, codec: 'h264', publicKeyFingerprint: null, trust: 'in-stream-key-only', trustError: null, signer: null,
  });
  fresh.free();

  const out = SignedVideoGate.mp4(signedVideo('axis_signed_test_h264_modified_frame_137.mp4'));
  assert.deepStrictEqual(Object.keys(out), ['decoderConfig', 'pictures', 'reports', 'stats', 'info']);
  same(out.stats, {
    released: 186, held: 0, heldBytes: 0, dropped: svDropped({ tampered: 62, pending: 8 }),
    gops: svGops({ authentic: 3, tampered: 1, pending: 1 }), carried: 1, badSeis: 0, malformed: 0,
  });
  same(out.reports, [
    gopReport(0, 0, 62, 'authentic', 2),
    gopReport(1, 62, 62, 'authentic', 3),
    gopReport(2, 124, 62, 'tampered', 4, { reason: 'hash-list', invalidUnits: 1, tamperedFrames: [137] }),
    gopReport(3, 186, 62, 'authentic', 5),
    gopReport(4, 248, 8, 'pending', null),
  ]);
  same(out.info, {
    scheme: 'axis', codec: 'h264', publicKeyFingerprint: 'bqvc-rxso-h4vy-dhna', trust: 'in-stream-key-only', trustError: null,
    signer: { manufacturer: 'Signed Video Framework', serialNumber: 'N/A', firmwareVersion: 'R1.0.0' },
  });

  const trustCa = readFileSync(new URL('../fixtures/signed-video/onvif_ca.pem', import.meta.url), 'utf8');
  const expired = SignedVideoGate.mp4(signedVideo('onvif_test_signed_h264.mp4'), { trustCa, at: Date.UTC(2026, 11, 1) });
  same(expired.info, {
    scheme: 'onvif', codec: 'h264', publicKeyFingerprint: 'ln5a-ydnf-lauv-aluv', trust: 'ca',
    trustError: {
      reason: 'expired',
      message: 'the signer\'s certificate \'Test camera\' has expired (valid from 2024-11-13T16:36:59Z to 2025-11-13T16:36:59Z, checked at 2026-12-01T00:00:00Z)',
    },
    signer: { manufacturer: 'Signed Media Framework', serialNumber: 'N/A', firmwareVersion: 'v0.0.4' },
  });
  same(expired.reports[0], gopReport(0, 0, 62, 'authentic', 1));
});
