// Version-2 frames (SPEC §6.2) through the built package, on every build:
// Signer.sealFrame, Verifier.verify on v1 and v2 frames in any mix, and
// FrameReader on a byte stream of both; Signer.sealUnit and
// Verifier.verifyUnit on real H.264, H.265, AV1 and JPEG units.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { FrameReader } from '../../pkg/frameseal.js';
import { load, camera, verifier, accept, reason, NOW_US, STREAM, clock } from './lib.mjs';

load();

const seal = (cam, payload, seq, extra = {}) =>
  cam.sealFrame(payload, { streamId: STREAM, seq, timestampUs: NOW_US, ...extra });
const sign = (cam, payload, seq) => cam.signFrame(payload, { streamId: STREAM, seq, timestampUs: NOW_US });

test('sealFrame makes a 148-byte seal, then the payload, and verify accepts it', () => {
  const cam = camera(1);
  const payload = Uint8Array.from({ length: 1000 }, (_, i) => i * 7);
  const frame = seal(cam, payload, 1, { keyframe: true, codec: 'jpeg' });
  assert.equal(frame.length, 148 + 1000);
  assert.deepStrictEqual(Array.from(frame.subarray(0, 6)), [0x46, 0x53, 0x45, 0x41, 0x4c, 0x02]);
  assert.equal(new DataView(frame.buffer).getUint32(48), 1000);
  const r = accept(verifier(cam.publicKey), frame);
  assert.deepStrictEqual(r.payload, payload);
  assert.equal(r.payload.buffer, frame.buffer, 'a view of the caller\'s frame');
  assert.equal(r.payload.byteOffset, 148);
  assert.equal(r.codec, 'jpeg');
  assert.equal(r.keyframe, true);
});

test('version 1 and version 2 frames share one stream and one replay window', () => {
  const cam = camera(2);
  const v = verifier(cam.publicKey);
  accept(v, sign(cam, new Uint8Array([1]), 1));
  const two = seal(cam, new Uint8Array([2]), 2);
  accept(v, two);
  accept(v, sign(cam, new Uint8Array([3]), 3));
  assert.equal(reason(v, two), 'replayed');
  assert.equal(reason(v, sign(cam, new Uint8Array([2]), 2)), 'replayed');
});

test('a sealed frame with a payload bit flipped is bad-signature; a foreign one foreign-key', () => {
  const cam = camera(3);
  const v = verifier(cam.publicKey);
  const frame = seal(cam, new Uint8Array(512 * 1024).fill(9), 1);
  const flipped = Uint8Array.from(frame);
  flipped[148 + 300_000] ^= 1;
  assert.equal(reason(v, flipped), 'bad-signature');
  const forgedSeal = Uint8Array.from(frame);
  forgedSeal[100] ^= 1;
  assert.equal(reason(v, forgedSeal), 'bad-signature');
  assert.equal(reason(v, seal(camera(4), new Uint8Array(10), 1)), 'foreign-key');
  accept(v, frame);
  assert.deepStrictEqual(v.stats().dropped['bad-signature'], 2);
});

test('FrameReader reads version 1 and version 2 frames back to back', () => {
  const cam = camera(5);
  const frames = [sign(cam, new Uint8Array(40), 1), seal(cam, new Uint8Array(3000), 2),
    seal(cam, new Uint8Array(0), 3), sign(cam, new Uint8Array(5), 4)];
  const body = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((at, f) => { body.set(f, at); return at + f.length; }, 0);
  const reader = new FrameReader(cam.publicKey, { now: clock });
  const results = [];
  for (let at = 0; at < body.length; at += 97) results.push(...reader.push(body.subarray(at, at + 97)));
  assert.deepStrictEqual(results.map((r) => [r.ok, r.seq, r.payload.length]),
    [[true, 1, 40], [true, 2, 3000], [true, 3, 0], [true, 4, 5]]);
});

// In-band units (SPEC §6.3, §6.4) from real encoders (tests/fixtures/inband/),
// split as a demuxer would: Annex B access units, IVF frames, JPEG files.
const fixture = (name) => new Uint8Array(readFileSync(new URL(`../fixtures/inband/${name}`, import.meta.url)));

/** The access units of an Annex B stream: a new one starts at a parameter
 * set, AUD or prefix SEI after a picture, or at a picture's first slice. */
function accessUnits(stream, codec) {
  const starts = [];
  for (let i = 0; i + 3 <= stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) starts.push(i + 3);
  }
  const units = [];
  let unitStart = 0;
  let sawPicture = false;
  for (const at of starts) {
    const h264 = codec === 'h264';
    const type = h264 ? stream[at] & 0x1f : (stream[at] >> 1) & 0x3f;
    const picture = h264 ? type >= 1 && type <= 5 : type <= 31;
    const firstSlice = (stream[at + (h264 ? 1 : 2)] & 0x80) !== 0;
    const prefix = h264 ? type >= 6 && type <= 9 : type >= 32 && type <= 39 && type !== 38;
    const codeStart = at - (at >= 4 && stream[at - 4] === 0 ? 4 : 3);
    if (sawPicture && (prefix || (picture && firstSlice))) {
      units.push(stream.subarray(unitStart, codeStart));
      unitStart = codeStart;
      sawPicture = false;
    }
    sawPicture ||= picture;
  }
  units.push(stream.subarray(unitStart));
  return units;
}

function ivfFrames(file) {
  const view = new DataView(file.buffer, file.byteOffset);
  const frames = [];
  for (let at = view.getUint16(6, true); at < file.length;) {
    const size = view.getUint32(at, true);
    frames.push(file.subarray(at + 12, at + 12 + size));
    at += 12 + size;
  }
  return frames;
}

const UNITS = {
  h264: () => accessUnits(fixture('h264-bframes.h264'), 'h264'),
  h265: () => accessUnits(fixture('h265.h265'), 'h265'),
  av1: () => ivfFrames(fixture('av1.ivf')),
  jpeg: () => ['jfif.jpg', 'exif.jpg', 'no-app.jpg', 'progressive-restart.jpg'].map(fixture),
};
// What the fixtures' encoders made (tests/fixtures/inband/README.md).
const UNIT_COUNTS = { h264: 24, h265: 24, av1: 16, jpeg: 4 };

for (const codec of Object.keys(UNITS)) {
  test(`${codec}: every real unit sealed by sealUnit is accepted by verifyUnit, and without its seal is unsigned`, () => {
    const cam = camera(6);
    const v = verifier(cam.publicKey);
    const units = UNITS[codec]();
    assert.equal(units.length, UNIT_COUNTS[codec]);
    units.forEach((unit, i) => {
      const keyframe = i === 0 || codec === 'jpeg';
      const sealed = cam.sealUnit(unit, { codec, streamId: STREAM, seq: i + 1, timestampUs: NOW_US, keyframe });
      assert.equal(sealed.length > unit.length + 148, true);
      const r = v.verifyUnit(sealed, { codec });
      assert.equal(r.ok, true, `${codec} unit ${i + 1}: ${JSON.stringify(r)}`);
      assert.deepStrictEqual([r.seq, r.keyframe, r.codec], [i + 1, keyframe, codec]);
      assert.deepStrictEqual(r.payload, sealed);
      assert.equal(v.verifyUnit(unit, { codec }).reason, 'unsigned');
      assert.throws(() => cam.sealUnit(sealed, { codec, seq: i + 2 }), /already holds a frameseal seal/);
    });
    const stats = v.stats();
    assert.deepStrictEqual([stats.accepted, stats.dropped.unsigned], [units.length, units.length]);
  });
}

test('a unit sealed by a stranger is foreign-key; one with a changed picture byte bad-signature', () => {
  const cam = camera(7);
  const v = verifier(cam.publicKey);
  const unit = UNITS.h264()[0];
  const options = { codec: 'h264', streamId: STREAM, seq: 1, timestampUs: NOW_US, keyframe: true };
  assert.equal(v.verifyUnit(camera(8).sealUnit(unit, options), { codec: 'h264' }).reason, 'foreign-key');
  const sealed = cam.sealUnit(unit, options);
  const changed = Uint8Array.from(sealed);
  changed[changed.length - 2] ^= 0x10;
  assert.equal(v.verifyUnit(changed, { codec: 'h264' }).reason, 'bad-signature');
  assert.equal(v.verifyUnit(sealed, { codec: 'h264' }).ok, true);
});
