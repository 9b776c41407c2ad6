// SPEC §4: "Bad input to any call ... never panics, traps or poisons the
// module: the next call still works." Here the bad input is a JS value whose
// inspection itself throws (a revoked Proxy, a Uint8Array whose `length`
// property lies). Whatever the call throws, the object and the module must
// keep working afterwards.
// Run: node --test tests/js/   (after building pkg/).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Verifier, fingerprint } from '../../pkg/frameseal.js';
import { load, camera, frame, verifier, accept, statsWith } from './lib.mjs';

load();

function revoked() {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

test('verify(revoked Proxy) throws, and the verifier keeps working', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  assert.throws(() => v.verify(revoked()));
  accept(v, frame(cam, new Uint8Array(1), { seq: 0 }));
});

test('signFrame(payload, revoked Proxy) throws, and the signer keeps working', () => {
  const cam = camera(1);
  assert.throws(() => cam.signFrame(new Uint8Array(1), revoked()));
  assert.equal(cam.signFrame(new Uint8Array(1), {}).length, 117);
});

test('verify() of a Uint8Array whose own length property lies: the verifier keeps working', () => {
  const cam = camera(1);
  const v = verifier(cam.publicKey);
  const liar = frame(cam, new Uint8Array(64), { seq: 0 });
  Object.defineProperty(liar, 'length', { value: 120 });
  // Judging the real 180 bytes or throwing are both fine here.
  let result;
  try { result = v.verify(liar); } catch (e) { assert.ok(e instanceof Error); }
  if (result) assert.equal(typeof result.ok, 'boolean');
  accept(v, frame(cam, new Uint8Array(1), { seq: 1 }));
});

// A trap: WebAssembly's RuntimeError, or the JS build's (wasm2js) Error('abort').
const trapped = (e) => (globalThis.WebAssembly !== undefined && e instanceof WebAssembly.RuntimeError)
  || /^(unreachable|abort)$/i.test(String(e?.message));

test('1000 calls that throw do not exhaust the module (shadow stack)', () => {
  const cam = camera(1);
  const key = cam.publicKey;
  const proxy = revoked();
  for (let i = 0; i < 1000; i++) {
    assert.throws(() => new Verifier(key, proxy), (e) => !trapped(e), `call ${i}`);
  }
  const v = verifier(key);
  accept(v, frame(cam, new Uint8Array(1), { seq: 0 }));
  assert.deepStrictEqual(v.stats(), statsWith(1));
  assert.match(fingerprint(key), /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
});
