// Version-2 frames (SPEC §6.2) through the built package, on every build:
// Signer.sealFrame, Verifier.verify on v1 and v2 frames in any mix, and
// FrameReader on a byte stream of both.
import test from 'node:test';
import assert from 'node:assert/strict';

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
