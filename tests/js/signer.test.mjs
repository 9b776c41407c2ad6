// Signer and fingerprint through the generated JS glue (SPEC §4, §5).
// Run: node --test tests/js/   (after building pkg/).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { initSync, Signer, Verifier, fingerprint } from '../../pkg/frameseal.js';
import { wasmBytes, NOW_US, STREAM, clock, hex, toHex, accept, JS_BUILD } from './lib.mjs';

// This file instantiates from a compiled WebAssembly.Module (the other
// files pass bytes); the JS build has none.
initSync({ module: JS_BUILD ? undefined : new WebAssembly.Module(wasmBytes()) });

// RFC 8032 §7.1 TEST 1; the fingerprint computed independently
// (Python: base32(sha512(key)[:10]).lower(), grouped by four).
const RFC_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC_FINGERPRINT = 'bybk-karf-ws5k-ugfa';
const FINGERPRINT = /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/;

test('new Signer(secret) is deterministic and matches RFC 8032', () => {
  const a = new Signer(hex(RFC_SECRET));
  const b = new Signer(hex(RFC_SECRET));
  assert.equal(toHex(a.publicKey), RFC_PUBLIC);
  assert.deepStrictEqual(a.publicKey, b.publicKey);
  assert.equal(toHex(a.exportSecretKey()), RFC_SECRET);
  assert.ok(a.publicKey instanceof Uint8Array);
  assert.equal(a.publicKey.length, 32);
  // Each signer gets its own random session stream.
  assert.equal(a.streamId.length, 16);
  assert.notDeepStrictEqual(a.streamId, b.streamId);
  // The same frame fields give the same bytes (Ed25519 is deterministic).
  const opts = { streamId: STREAM, seq: 3, timestampUs: NOW_US, codec: 'png', keyframe: true };
  assert.deepStrictEqual(a.signFrame(new Uint8Array([1, 2]), opts), b.signFrame(new Uint8Array([1, 2]), opts));
});

test('Signer.generate() makes distinct keys that link', () => {
  const keys = new Set();
  for (let i = 0; i < 20; i++) {
    const s = Signer.generate();
    assert.equal(s.publicKey.length, 32);
    keys.add(toHex(s.publicKey));
    const v = new Verifier(s.publicKey, { now: clock });
    accept(v, s.signFrame(new Uint8Array(1), { timestampUs: NOW_US }));
  }
  assert.equal(keys.size, 20);
});

test('signFrame numbers frames per stream and lays out the header (SPEC §2)', () => {
  const s = new Signer(hex(RFC_SECRET));
  const f0 = s.signFrame(new Uint8Array([0xaa, 0xbb]), { timestampUs: 0x0102030405060708n, keyframe: true, codec: 'h264' });
  assert.ok(f0 instanceof Uint8Array);
  assert.equal(f0.length, 116 + 2);
  assert.deepStrictEqual([...f0.subarray(0, 8)], [0x46, 0x53, 0x45, 0x41, 0x4c, 1, 0b01, 16]);
  assert.deepStrictEqual(f0.subarray(16, 32), s.streamId);
  assert.equal(toHex(f0.subarray(32, 40)), '0000000000000000');
  assert.equal(toHex(f0.subarray(40, 48)), '0102030405060708');
  assert.equal(toHex(f0.subarray(48, 54)), '00000002aabb');
  const f1 = s.signFrame(new Uint8Array(0), { endOfStream: true });
  assert.equal(f1[6], 0b10);
  assert.equal(toHex(f1.subarray(32, 40)), '0000000000000001');
  assert.equal(toHex(s.signFrame(new Uint8Array(0), { seq: 2n ** 64n - 1n }).subarray(32, 40)), 'ffffffffffffffff');
  assert.equal(toHex(s.signFrame(new Uint8Array(0), { streamId: STREAM }).subarray(32, 40)), '0000000000000000');
});

test('fingerprint: SPEC §5.1 format and value', () => {
  assert.equal(fingerprint(hex(RFC_PUBLIC)), RFC_FINGERPRINT);
  for (let i = 0; i < 20; i++) assert.match(fingerprint(Signer.generate().publicKey), FINGERPRINT);
  assert.equal(fingerprint(Buffer.from(RFC_PUBLIC, 'hex')), RFC_FINGERPRINT);
});

/** Asserts fn throws a plain Error whose message matches every pattern. */
function throwsError(fn, ...patterns) {
  let error;
  try { fn(); } catch (e) { error = e; }
  assert.ok(error instanceof Error, `expected an Error, got ${error}`);
  for (const p of patterns) assert.match(error.message, p);
}

test('bad input throws Errors that name the problem, and the module keeps working', () => {
  const s = new Signer(hex(RFC_SECRET));
  const next = Signer.generate();
  const payload = new Uint8Array(1);
  const cases = [
    [() => new Signer(), /secretKey must be a Uint8Array/, /undefined/],
    [() => new Signer(new Uint8Array(31)), /secretKey must be 32 bytes/, /31/],
    [() => new Signer(RFC_SECRET), /secretKey must be a Uint8Array/, /string/],
    [() => s.signFrame('payload'), /payload must be a Uint8Array/, /string/],
    [() => s.signFrame([1, 2, 3]), /payload must be a Uint8Array/, /array/],
    [() => s.signFrame(payload, 'opts'), /options must be an object/],
    [() => s.signFrame(payload, { sequence: 1 }), /unknown option options\.sequence/],
    [() => s.signFrame(payload, { seq: -1 }), /options\.seq/],
    [() => s.signFrame(payload, { seq: 0.5 }), /options\.seq/],
    [() => s.signFrame(payload, { seq: 2 ** 53 }), /options\.seq/],
    [() => s.signFrame(payload, { seq: 2n ** 64n }), /options\.seq/],
    [() => s.signFrame(payload, { timestampUs: '2023' }), /options\.timestampUs/],
    [() => s.signFrame(payload, { codec: 'mjpeg' }), /options\.codec/, /jpeg/],
    [() => s.signFrame(payload, { keyframe: 1 }), /options\.keyframe/, /boolean/],
    [() => s.signFrame(payload, { streamId: new Uint8Array(15) }), /options\.streamId/, /16 bytes/],
    [() => s.signFrame(new Uint8Array(95), { codec: 'key-rotation' }), /96/],
    [() => s.signRotation({}, {}), /Signer/],
    [() => s.signRotation(null), /Signer/],
    [() => s.signRotation(undefined), /Signer/],
    [() => s.signRotation(next.publicKey), /Signer/],
    [() => s.signRotation(new Signer(hex(RFC_SECRET))), /signRotation/, /current key/],
    [() => s.signRotation(s), /signRotation: the next key is the current key/], // the very same object
    [() => s.signRotation(next, { codec: 'jpeg' }), /unknown option options\.codec/],
    [() => fingerprint('x'), /publicKey must be a Uint8Array/, /string/],
    [() => fingerprint(), /publicKey must be a Uint8Array/, /undefined/],
    [() => fingerprint(new Uint8Array(31)), /publicKey must be 32 bytes/, /31/],
    [() => fingerprint([...hex(RFC_PUBLIC)]), /publicKey must be a Uint8Array/, /array/],
  ];
  for (const [fn, ...patterns] of cases) {
    throwsError(fn, ...patterns);
    // Everything still works, and no failed call used a sequence number.
    assert.equal(fingerprint(hex(RFC_PUBLIC)), RFC_FINGERPRINT);
  }
  const f = s.signFrame(payload, { timestampUs: NOW_US });
  assert.equal(toHex(f.subarray(32, 40)), '0000000000000000');
  const v = new Verifier(s.publicKey, { now: clock });
  accept(v, f);
  const r = accept(v, s.signRotation(next, { timestampUs: NOW_US }));
  assert.deepStrictEqual(r.newPublicKey, next.publicKey);
  assert.equal(r.seq, 1);
});

test('a Signer called again from inside its own options (a getter) signs both frames, no trap', () => {
  const s = Signer.generate();
  const v = new Verifier(s.publicKey, { now: clock });
  let inner;
  const outer = s.signFrame(new Uint8Array([1]), {
    timestampUs: NOW_US,
    get seq() {
      inner = s.signFrame(new Uint8Array([2]), { seq: 1, timestampUs: NOW_US });
      return 2;
    },
  });
  assert.equal(accept(v, inner).seq, 1);
  assert.equal(accept(v, outer).seq, 2);
  // And from inside signRotation's options, with itself as the next signer: refused, still working.
  const next = Signer.generate();
  const rot = s.signRotation(next, { get seq() { assert.throws(() => s.signRotation(s), /current key/); return 3; }, timestampUs: NOW_US });
  assert.equal(accept(v, rot).seq, 3);
});
