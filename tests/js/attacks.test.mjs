// Attacks from the outside security review on the built package, in Node, on
// every build (pkg/, pkg/mvp/ and the JS build pkg/mvp-js/, see
// use-build.mjs): each test is named after the attack it replays.
import test from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';

import { Verifier } from '../../pkg/frameseal.js';
import { load, camera, frame, verifier, accept, reason, NOW_MS } from './lib.mjs';

load();

const memoryBytes = () => load().memory.buffer.byteLength;
const MiB = 1 << 20;

test('a SharedArrayBuffer from another realm is copied: the payload is the bytes that were verified', () => {
  const cam = camera(1);
  const payload = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);
  const genuine = frame(cam, payload, { seq: 1 });
  // A SharedArrayBuffer made in another realm (a same-origin iframe, a vm
  // context): `instanceof SharedArrayBuffer` is false for it here.
  const foreignShared = vm.runInNewContext(`new SharedArrayBuffer(${genuine.length})`);
  assert.equal(foreignShared instanceof SharedArrayBuffer, false, 'the attack needs a foreign realm');
  const shared = new Uint8Array(foreignShared);
  shared.set(genuine);
  const v = verifier(cam.publicKey);
  const r = accept(v, shared);
  // Another thread rewrites the shared bytes after the check.
  shared.fill(0xee);
  assert.notEqual(r.payload.buffer, foreignShared, 'the payload is a view of shared memory');
  assert.deepStrictEqual(Array.from(r.payload), Array.from(payload));
});

test('a 16 MiB malformed message leaves no 16 MiB buffer behind', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  accept(v, frame(cam, new Uint8Array(100), { seq: 1 }));
  const before = memoryBytes();
  // A genuine header (100-byte payload) at the front of a 16 MiB message.
  const big = new Uint8Array(16 * MiB);
  big.set(frame(cam, new Uint8Array(100), { seq: 2 }).subarray(0, 52));
  assert.equal(reason(v, big), 'malformed');
  assert.ok(memoryBytes() - before < MiB, `memory grew by ${(memoryBytes() - before) / MiB} MiB`);
  accept(v, frame(cam, new Uint8Array(100), { seq: 3 }));
});

test('forged 8 MiB frames with the linked key id cost one 8 MiB buffer, not one per tile', () => {
  const cam = camera(2);
  // A header claiming the linked key (its id is public) and an 8 MiB
  // payload, with a garbage signature: it must be copied to be checked.
  const head = frame(cam, new Uint8Array(1), { seq: 1 }).slice(0, 52);
  const payloadLen = 8 * MiB;
  new DataView(head.buffer).setUint32(48, payloadLen);
  const forged = new Uint8Array(52 + payloadLen + 64);
  forged.set(head);
  const tiles = Array.from({ length: 6 }, () => verifier(cam.publicKey));
  for (const t of tiles) accept(t, frame(cam, new Uint8Array(10), { seq: 0 }));
  const before = memoryBytes();
  for (const t of tiles) assert.equal(reason(t, forged), 'bad-signature');
  const grown = memoryBytes() - before;
  assert.ok(grown <= 2 * payloadLen, `6 tiles kept ${grown / MiB} MiB after dropping forged frames`);
  for (const t of tiles) accept(t, frame(cam, new Uint8Array(10), { seq: 1 }));
  for (const t of tiles) t.free();
});

test('a 16 MiB message claiming a foreign key is judged from its header alone', () => {
  const cam = camera(3);
  const stranger = camera(4);
  const v = verifier(cam.publicKey);
  accept(v, frame(cam, new Uint8Array(10), { seq: 1 }));
  const head = frame(stranger, new Uint8Array(1), { seq: 1 }).slice(0, 52);
  new DataView(head.buffer).setUint32(48, 16 * MiB - 116);
  const foreign = new Uint8Array(16 * MiB);
  foreign.set(head);
  const before = memoryBytes();
  assert.equal(reason(v, foreign), 'foreign-key');
  assert.equal(memoryBytes(), before, 'a foreign frame was copied');
  assert.ok(NOW_MS > 0);
});

test('an accepted payload of a plain ArrayBuffer is still a view of the caller\'s frame (no copy)', () => {
  const cam = camera(5);
  const f = frame(cam, new Uint8Array(64).fill(7), { seq: 1 });
  const r = accept(verifier(cam.publicKey), f);
  assert.equal(r.payload.buffer, f.buffer);
  assert.ok(new Verifier(cam.publicKey) instanceof Verifier);
});

test('the package names its drop reasons and layout, so pages keep no copy of the format', async () => {
  const { dropReasons, frameLayout } = await import('../../pkg/frameseal.js');
  const { REASONS } = await import('./lib.mjs');
  assert.deepStrictEqual(dropReasons().map((r) => r.reason), REASONS);
  for (const r of dropReasons()) assert.ok(r.meaning.length > 3, r.reason);
  const layout = frameLayout();
  assert.equal(layout.headerLength, 52);
  assert.equal(layout.signatureLength, 64);
  assert.equal(layout.codecs.h264, 16);
  assert.equal(layout.codecs['key-rotation'], 32);
});

test('frameLayout names every field where the core puts it', async () => {
  const { frameLayout } = await import('../../pkg/frameseal.js');
  const { fields, sealLength } = frameLayout();
  assert.equal(sealLength, 148);
  assert.deepStrictEqual(fields.magic, [0, 5]);
  assert.deepStrictEqual(fields.codec, [7, 8]);
  assert.deepStrictEqual(fields.length, [48, 52]);
  assert.deepStrictEqual(fields.contentHash, [52, 84]);
  assert.deepStrictEqual(fields.sealSignature, [84, 148]);
});
