// Verifier through the generated JS glue (SPEC §3, §4, §5.2): result objects,
// every drop reason, stats, linkedPublicKey, rotation, options, thrown errors,
// SharedArrayBuffer and Buffer inputs, and a long mixed run.
// Run: node --test tests/js/   (after building pkg/).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Verifier, Signer } from '../../pkg/frameseal.js';
import {
  load, NOW_MS, NOW_US, STREAM, OTHER_STREAM, REASONS, clock, camera, frame, rotation,
  edited, verifier, accept, reason, statsWith, withoutPayload, JS_BUILD,
} from './lib.mjs';

const wasm = load();

// The JS build (pkg/mvp-js) hashes about a hundred times slower: the two
// tests that are slow by design run smaller there (marked where used).
const GROW_BYTES = JS_BUILD ? 4 << 20 : 40 << 20;
const MIXED_RUN = JS_BUILD ? 1_200 : 10_000;

test('an accepted frame is a plain object with every SPEC §4 field', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  const payload = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
  const bytes = frame(cam, payload, { seq: 7, atMs: -40, keyframe: true, endOfStream: true, codec: 'jpeg' });
  const r = v.verify(bytes);
  assert.deepStrictEqual(withoutPayload(r), {
    ok: true, seq: 7, timestampUs: NOW_US - 40_000, keyframe: true, endOfStream: true,
    codec: 'jpeg', streamId: new Uint8Array(STREAM),
  });
  assert.ok(r.payload instanceof Uint8Array);
  assert.deepStrictEqual([...r.payload], [...payload]);
  assert.equal(Object.getPrototypeOf(r), Object.prototype);
  assert.equal('newPublicKey' in r, false);
  // The payload is a view of the caller's frame bytes (no copy).
  assert.equal(r.payload.buffer, bytes.buffer);
  assert.equal(r.payload.byteOffset, bytes.byteOffset + 52);
});

test('every codec name', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  ['opaque', 'jpeg', 'png', 'webp', 'h264', 'h265', 'vp8', 'vp9', 'av1'].forEach((codec, seq) => {
    assert.equal(accept(v, frame(cam, new Uint8Array([seq]), { seq, codec })).codec, codec);
  });
});

test('byte arrays in results stay valid after later calls (not views of wasm memory)', () => {
  const old = camera(1);
  const next = camera(2);
  const v = verifier(old.publicKey);
  const first = accept(v, frame(old, new Uint8Array([9, 9]), { seq: 0 }));
  const rot = accept(v, rotation(old, next, 1));
  const arrays = [['streamId', first.streamId], ['payload', first.payload],
    ['rotation streamId', rot.streamId], ['newPublicKey', rot.newPublicKey]];
  for (const [name, u8] of arrays) {
    assert.notEqual(u8.buffer, wasm.memory.buffer, `${name} is a view of WebAssembly memory`);
  }
  // Reuse the module's stack and heap, and make its memory grow.
  const other = camera(3);
  for (let seq = 0; seq < 5; seq++) v.verify(frame(other, new Uint8Array(300).fill(seq), { seq }));
  other.signFrame(new Uint8Array(GROW_BYTES), {}); // JS build: smaller, still grows its memory
  assert.deepStrictEqual(first.streamId, new Uint8Array(STREAM));
  assert.deepStrictEqual([...first.payload], [9, 9]);
  assert.deepStrictEqual(rot.streamId, new Uint8Array(STREAM));
  assert.deepStrictEqual(rot.newPublicKey, next.publicKey);
});

test('every drop reason is reachable, with the exact string', () => {
  const cam = camera(1);
  const stranger = camera(2);
  const good = frame(cam, new Uint8Array([1, 2, 3]), { seq: 5 });
  const cases = [
    ['malformed', {}, [], new Uint8Array(0)],
    ['malformed', {}, [], good.subarray(0, 115)],
    ['malformed', {}, [], edited(good, (b) => { b[0] = 0x58; })],
    ['malformed', {}, [], edited(good, (b) => { b[6] |= 0x04; })],
    ['malformed', {}, [], edited(good, (b) => { b[7] = 99; })],
    ['malformed', {}, [], Uint8Array.from([...good, 0])],
    ['unsupported-version', {}, [], edited(good, (b) => { b[5] = 3; })],
    ['too-large', {}, [], edited(good, (b) => { b.set([0xff, 0xff, 0xff, 0xff], 48); })],
    ['too-large', { maxPayloadBytes: 2 }, [], good],
    ['foreign-key', {}, [], frame(stranger, new Uint8Array([1]), { seq: 0 })],
    ['bad-signature', {}, [], edited(good, (b) => { b[52] ^= 1; })],
    ['bad-signature', {}, [], edited(good, (b) => { b[b.length - 1] ^= 0x10; })],
    ['wrong-stream', { streamId: OTHER_STREAM }, [], good],
    ['wrong-stream', {}, [frame(cam, new Uint8Array(1), { seq: 0, stream: OTHER_STREAM })], good],
    ['stale', {}, [], frame(cam, new Uint8Array(1), { seq: 0, atMs: -10_001 })],
    ['future', {}, [], frame(cam, new Uint8Array(1), { seq: 0, atMs: 5_001 })],
    ['replayed', {}, [good], good],
    ['replayed', { replayWindow: 0 }, [frame(cam, new Uint8Array(1), { seq: 6 })], good],
    ['bad-rotation', { allowRotation: false }, [], rotation(cam, camera(3), 0)],
    ['bad-rotation', {}, [], frame(cam, new Uint8Array(96), { seq: 0, codec: 'key-rotation' })],
  ];
  const seen = new Set();
  for (const [want, options, before, bytes] of cases) {
    const v = verifier(cam.publicKey, options);
    for (const b of before) accept(v, b);
    assert.equal(reason(v, bytes), want, `${want} with ${JSON.stringify(options)}`);
    assert.deepStrictEqual(v.stats(), statsWith(before.length, { [want]: 1 }));
    seen.add(want);
  }
  // 'unsigned' is a unit's: a JPEG file without a frameseal seal.
  const v = verifier(cam.publicKey);
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]);
  assert.equal(v.verifyUnit(jpeg, { codec: 'jpeg' }).reason, 'unsigned');
  assert.deepStrictEqual(v.stats(), statsWith(0, { unsigned: 1 }));
  seen.add('unsigned');
  assert.deepStrictEqual([...seen].sort(), [...REASONS].sort());
});

test('stats(): every reason present, in check order, counted', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  const empty = v.stats();
  assert.deepStrictEqual(empty, statsWith(0));
  assert.deepStrictEqual(Object.keys(empty.dropped), REASONS);
  const good = frame(cam, new Uint8Array(1), { seq: 1 });
  accept(v, good);
  reason(v, good);
  reason(v, good);
  reason(v, new Uint8Array(3));
  assert.deepStrictEqual(v.stats(), statsWith(1, { replayed: 2, malformed: 1 }));
  assert.deepStrictEqual(empty, statsWith(0), 'an earlier stats() object is a snapshot');
  assert.equal(JSON.stringify(v.stats()),
    '{"accepted":1,"dropped":{"malformed":1,"unsupported-version":0,"unsigned":0,"too-large":0,'
    + '"foreign-key":0,"bad-signature":0,"wrong-stream":0,"stale":0,"future":0,"replayed":2,"bad-rotation":0}}');
});

test('rotation end to end: newPublicKey, linkedPublicKey, then the old key is foreign', () => {
  const old = camera(1);
  const next = Signer.generate();
  const v = verifier(old.publicKey);
  assert.deepStrictEqual(v.linkedPublicKey, old.publicKey);
  accept(v, frame(old, new Uint8Array([1]), { seq: 0 }));

  const rot = rotation(old, next, 1);
  assert.equal(rot.length, 116 + 96);
  const r = v.verify(rot);
  assert.deepStrictEqual(withoutPayload(r), {
    ok: true, seq: 1, timestampUs: NOW_US, keyframe: false, endOfStream: false,
    codec: 'key-rotation', streamId: new Uint8Array(STREAM), newPublicKey: next.publicKey,
  });
  assert.deepStrictEqual(r.payload.subarray(0, 32), next.publicKey);
  assert.equal(r.payload.length, 96);
  assert.deepStrictEqual(v.linkedPublicKey, next.publicKey);
  // The getter returns a copy.
  v.linkedPublicKey.fill(0);
  assert.deepStrictEqual(v.linkedPublicKey, next.publicKey);
  assert.throws(() => { v.linkedPublicKey = old.publicKey; }, TypeError, 'read-only');
  assert.deepStrictEqual(v.linkedPublicKey, next.publicKey);

  assert.equal(reason(v, frame(old, new Uint8Array([2]), { seq: 2 })), 'foreign-key');
  assert.equal(reason(v, rot), 'foreign-key');
  // Stream pin and replay window carry over to the new key.
  assert.equal(reason(v, frame(next, new Uint8Array([1]), { seq: 1 })), 'replayed');
  assert.equal(reason(v, frame(next, new Uint8Array([1]), { seq: 9, stream: OTHER_STREAM })), 'wrong-stream');
  accept(v, frame(next, new Uint8Array([3]), { seq: 2 }));
  assert.deepStrictEqual(v.stats(), statsWith(3, { 'foreign-key': 2, replayed: 1, 'wrong-stream': 1 }));

  // And on to a third key.
  const third = Signer.generate();
  assert.deepStrictEqual(accept(v, rotation(next, third, 3)).newPublicKey, third.publicKey);
  assert.deepStrictEqual(v.linkedPublicKey, third.publicKey);
});

test('allowRotation: false refuses rotation and changes nothing', () => {
  const old = camera(1);
  const next = camera(2);
  const v = verifier(old.publicKey, { allowRotation: false });
  accept(v, frame(old, new Uint8Array(1), { seq: 0 }));
  assert.equal(reason(v, rotation(old, next, 1)), 'bad-rotation');
  assert.deepStrictEqual(v.linkedPublicKey, old.publicKey);
  accept(v, frame(old, new Uint8Array(1), { seq: 1 }));
  assert.equal(reason(v, frame(next, new Uint8Array(1), { seq: 2 })), 'foreign-key');
});

test('null switches maxAgeMs / maxFutureSkewMs off; streamId picks the stream', () => {
  const cam = camera(1);
  const year = 365 * 24 * 3600 * 1000;
  const off = verifier(cam.publicKey, { maxAgeMs: null, maxFutureSkewMs: null });
  accept(off, frame(cam, new Uint8Array(1), { seq: 0, atMs: -year }));
  accept(off, frame(cam, new Uint8Array(1), { seq: 1, atMs: year }));
  const strict = verifier(cam.publicKey, { maxAgeMs: 1, maxFutureSkewMs: 1 });
  assert.equal(reason(strict, frame(cam, new Uint8Array(1), { seq: 0, atMs: -2 })), 'stale');
  assert.equal(reason(strict, frame(cam, new Uint8Array(1), { seq: 0, atMs: 2 })), 'future');

  const chosen = verifier(cam.publicKey, { streamId: OTHER_STREAM });
  assert.equal(reason(chosen, frame(cam, new Uint8Array(1), { seq: 0, keyframe: true })), 'wrong-stream');
  assert.deepStrictEqual(
    accept(chosen, frame(cam, new Uint8Array(1), { seq: 0, stream: OTHER_STREAM })).streamId,
    new Uint8Array(OTHER_STREAM));
});

test('the default clock is Date.now', () => {
  const cam = camera(1);
  const v = new Verifier(cam.publicKey);
  accept(v, cam.signFrame(new Uint8Array(1)));
  assert.equal(reason(v, cam.signFrame(new Uint8Array(1), { timestampUs: Date.now() * 1000 - 60_000_000 })), 'stale');
  const w = new Verifier(cam.publicKey, {});
  accept(w, cam.signFrame(new Uint8Array(1), { timestampUs: BigInt(Date.now()) * 1000n }));
});

/** Asserts fn throws an Error whose message matches every pattern. */
function throwsError(fn, ...patterns) {
  let error;
  try { fn(); } catch (e) { error = e; }
  assert.ok(error instanceof Error, `expected an Error, got ${error}`);
  assert.equal(error.constructor, Error, 'a plain Error');
  for (const p of patterns) assert.match(error.message, p);
  return error.message;
}

test('constructor errors name the problem, and the module keeps working', () => {
  const cam = camera(1);
  const key = cam.publicKey;
  const identity = new Uint8Array(32); identity[0] = 1;
  const notAPoint = new Uint8Array(32); notAPoint[0] = 2;
  const cases = [
    [() => new Verifier(), /linkedPublicKey must be a Uint8Array/, /undefined/],
    [() => new Verifier(null), /linkedPublicKey must be a Uint8Array/, /null/],
    [() => new Verifier('79b5562e8fe654f94078b112e8a98ba7'), /linkedPublicKey must be a Uint8Array/, /string/],
    [() => new Verifier([...key]), /linkedPublicKey must be a Uint8Array/, /array/],
    [() => new Verifier(key.buffer), /linkedPublicKey must be a Uint8Array/],
    [() => new Verifier(new Uint8Array(31)), /linkedPublicKey/, /32 bytes/, /31/],
    [() => new Verifier(new Uint8Array(64)), /linkedPublicKey/, /32 bytes/, /64/],
    [() => new Verifier(new Uint8Array(32)), /linkedPublicKey/, /small-order/],
    [() => new Verifier(identity), /linkedPublicKey/, /small-order/],
    [() => new Verifier(notAPoint), /linkedPublicKey/, /not a valid Ed25519 curve point/],
    [() => new Verifier(key, 'strict'), /options must be an object/, /string/],
    [() => new Verifier(key, [1]), /options must be an object/, /array/],
    [() => new Verifier(key, () => 0), /options must be an object/, /function/],
    [() => new Verifier(key, { maxAge: 1000 }), /unknown option options\.maxAge\b/, /maxAgeMs/],
    [() => new Verifier(key, { maxAgeMs: '10000' }), /options\.maxAgeMs/, /"10000"/],
    [() => new Verifier(key, { maxAgeMs: -1 }), /options\.maxAgeMs/, /-1/],
    [() => new Verifier(key, { maxAgeMs: NaN }), /options\.maxAgeMs/, /NaN/],
    [() => new Verifier(key, { maxAgeMs: Infinity }), /options\.maxAgeMs/],
    [() => new Verifier(key, { maxFutureSkewMs: -Infinity }), /options\.maxFutureSkewMs/],
    [() => new Verifier(key, { maxFutureSkewMs: 5n }), /options\.maxFutureSkewMs/],
    [() => new Verifier(key, { replayWindow: 1.5 }), /options\.replayWindow/, /integer/],
    [() => new Verifier(key, { replayWindow: 1e9 }), /options\.replayWindow/, /65536/],
    [() => new Verifier(key, { replayWindow: null }), /options\.replayWindow/],
    [() => new Verifier(key, { maxPayloadBytes: 2 ** 32 }), /options\.maxPayloadBytes/],
    [() => new Verifier(key, { maxPayloadBytes: -1 }), /options\.maxPayloadBytes/],
    [() => new Verifier(key, { streamId: new Uint8Array(15) }), /options\.streamId/, /16 bytes/, /15/],
    [() => new Verifier(key, { streamId: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf' }), /options\.streamId/],
    [() => new Verifier(key, { allowRotation: 'no' }), /options\.allowRotation/, /boolean/],
    [() => new Verifier(key, { now: Date.now() }), /options\.now/, /function/],
    [() => new Verifier(key, { get maxAgeMs() { throw new Error('getter'); } }), /options\.maxAgeMs/, /threw/],
  ];
  const v = verifier(key);
  let seq = 0;
  for (const [fn, ...patterns] of cases) {
    throwsError(fn, ...patterns);
    accept(v, frame(cam, new Uint8Array(1), { seq: seq++ }));
  }
  assert.deepStrictEqual(v.stats(), statsWith(cases.length));
});

test('verify() of a non-Uint8Array throws, counts nothing, and the verifier keeps working', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  const good = frame(cam, new Uint8Array(1), { seq: 0 });
  const bad = ['FSEAL', null, undefined, 116, [...good], good.buffer, new DataView(good.buffer),
    new Uint16Array(58), { length: 116 }, 116n, Symbol('frame')];
  let seq = 0;
  for (const value of bad) {
    throwsError(() => v.verify(value), /frame must be a Uint8Array/);
    accept(v, frame(cam, new Uint8Array(1), { seq: seq++ }));
  }
  assert.deepStrictEqual(v.stats(), statsWith(bad.length));
});

test('a clock that fails throws from verify() and changes nothing', () => {
  const cam = camera(1);
  for (const [bad, pattern] of [
    [() => 'soon', /options\.now\(\) must return a finite number/],
    [() => NaN, /options\.now\(\) must return a finite number/],
    [() => undefined, /options\.now\(\) must return a finite number/],
    [() => BigInt(NOW_MS), /options\.now\(\) must return a finite number/],
    [() => new Date(NOW_MS), /options\.now\(\) must return a finite number/],
    [() => { throw new Error('clock broke'); }, /options\.now\(\) threw/],
  ]) {
    let calls = 0;
    const v = new Verifier(cam.publicKey, { now: () => (++calls === 1 ? bad() : NOW_MS) });
    const f = frame(cam, new Uint8Array(1), { seq: 0 });
    throwsError(() => v.verify(f), pattern);
    assert.deepStrictEqual(v.stats(), statsWith(0));
    accept(v, f); // not a replay: the throw changed no state
  }
});

test('a frame in a SharedArrayBuffer is verified and its payload is a copy', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  const bytes = frame(cam, new Uint8Array([5, 6, 7]), { seq: 0 });
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length + 8), 8);
  shared.set(bytes);
  const r = accept(v, shared);
  assert.ok(!(r.payload.buffer instanceof SharedArrayBuffer), 'a copy, not a view of shared memory');
  assert.notEqual(r.payload.buffer, wasm.memory.buffer, 'and not a view of wasm memory');
  shared[52] = 0xee;
  assert.deepStrictEqual([...r.payload], [5, 6, 7]);
  assert.equal(reason(v, shared), 'bad-signature');
});

test('a Node Buffer (pooled, at an offset) is accepted as a frame', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  const bytes = frame(cam, new Uint8Array([1, 2, 3, 4]), { seq: 0 });
  const buf = Buffer.from(bytes); // small Buffers come from a shared pool, byteOffset != 0
  const r = accept(v, buf);
  assert.ok(r.payload instanceof Uint8Array);
  assert.deepStrictEqual([...r.payload], [1, 2, 3, 4]);
  const big = Buffer.alloc(1000);
  big.set(bytes, 300);
  assert.equal(reason(v, big.subarray(300, 300 + bytes.length)), 'replayed');
  assert.deepStrictEqual(accept(new Verifier(cam.publicKey, { now: clock }), big.subarray(300, 300 + bytes.length)).seq, 0);
  assert.equal(reason(v, Buffer.from('FSEAL')), 'malformed');
});

test(`${MIXED_RUN} mixed frames: every verdict as expected and stats() adds up`, () => { // JS build: 1 200
  const cam = camera(1);
  const stranger = camera(2);
  const v = verifier(cam.publicKey, { maxPayloadBytes: 4096 });
  let state = 0x12345678;
  const rand = () => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return (state >>> 0) / 2 ** 32; };
  const want = statsWith(0);
  let seq = 0;
  let lastGood;
  let grownAt;
  for (let i = 0; i < MIXED_RUN; i++) {
    const payload = new Uint8Array(1 + (i % 200)).fill(i & 0xff);
    const kind = Math.floor(rand() * 12);
    let bytes;
    let expect = null;
    switch (kind) {
      case 0: case 1: case 2: bytes = frame(cam, payload, { seq: ++seq, atMs: -(i % 5000) }); break;
      case 3: bytes = new Uint8Array(i % 116); expect = 'malformed'; break;
      case 4: bytes = edited(frame(cam, payload, { seq: seq + 1 }), (b) => { b[5] = 3; }); expect = 'unsupported-version'; break;
      case 5: bytes = frame(cam, new Uint8Array(4097), { seq: seq + 1 }); expect = 'too-large'; break;
      case 6: bytes = frame(stranger, payload, { seq: seq + 1 }); expect = 'foreign-key'; break;
      case 7: bytes = edited(frame(cam, payload, { seq: seq + 1 }), (b) => { b[52] ^= 0x80; }); expect = 'bad-signature'; break;
      case 8: bytes = frame(cam, payload, { seq: seq + 1, stream: OTHER_STREAM }); expect = 'wrong-stream'; break;
      case 9: {
        const past = rand() < 0.5;
        bytes = frame(cam, payload, { seq: seq + 1, atMs: past ? -20_000 : 20_000 });
        expect = past ? 'stale' : 'future';
        break;
      }
      case 10: bytes = lastGood ?? new Uint8Array(0); expect = lastGood ? 'replayed' : 'malformed'; break;
      default: bytes = frame(cam, new Uint8Array(96), { seq: seq + 1, codec: 'key-rotation' }); expect = 'bad-rotation';
    }
    const r = v.verify(bytes);
    if (expect === null) {
      assert.equal(r.ok, true, `frame ${i}: ${JSON.stringify(r)}`);
      assert.equal(r.seq, seq);
      assert.equal(r.payload.length, payload.length);
      want.accepted++;
      lastGood = bytes;
    } else {
      assert.deepStrictEqual(r, { ok: false, reason: expect }, `frame ${i}`);
      want.dropped[expect]++;
    }
    if (i === 500) grownAt = wasm.memory.buffer.byteLength;
  }
  const stats = v.stats();
  assert.deepStrictEqual(stats, want);
  assert.equal(stats.accepted + Object.values(stats.dropped).reduce((a, b) => a + b, 0), MIXED_RUN);
  // Every reason a frame can get ('unsigned' is a unit's alone).
  for (const r of REASONS.filter((r) => r !== 'unsigned')) assert.ok(stats.dropped[r] > MIXED_RUN / 100, `${r}: ${stats.dropped[r]}`);
  assert.equal(wasm.memory.buffer.byteLength, grownAt, 'no memory growth after warm-up');
});

test('a freed verifier throws an Error; others keep working', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  const w = verifier(cam.publicKey);
  v.free();
  assert.throws(() => v.verify(frame(cam, new Uint8Array(1), { seq: 0 })), Error);
  accept(w, frame(cam, new Uint8Array(1), { seq: 0 }));
});
