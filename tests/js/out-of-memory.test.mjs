// Running out of WebAssembly memory (SPEC §4 robustness rules): linking and
// rotating at the memory ceiling throw a clean Error, the object stays
// usable, and other objects are unaffected. The review saw `new Verifier`
// fail with `RuntimeError: unreachable` there, and a genuine rotation frame
// leave its verifier throwing "recursive use of an object" forever.
//
// Its own file, so its own process: it grows the module's memory to the
// engine's limit (virtual memory: the pages are never touched).
import test from 'node:test';
import assert from 'node:assert/strict';

import { Verifier } from '../../pkg/frameseal.js';
import { load, camera, frame, rotation, verifier, accept, JS_BUILD } from './lib.mjs';

/** Grows `memory` until the engine refuses one more page. */
function fillToTheCeiling(memory) {
  for (let step = 1 << 14; step >= 1; step >>= 1) {
    for (;;) {
      try { memory.grow(step); } catch { break; }
    }
  }
}

const cleanError = (pattern) => (e) => {
  assert.ok(e instanceof Error, `not an Error: ${e}`);
  assert.ok(!(e instanceof (globalThis.WebAssembly?.RuntimeError ?? class {})), `a trap reached JS: ${e}`);
  assert.match(e.message, pattern);
  return true;
};

test('at the memory ceiling, linking and rotating throw a clean Error and every object stays usable',
  { skip: JS_BUILD && 'the JS build emulates its memory; growing it to 4 GiB is not this test' }, () => {
    const { memory } = load();
    const cam = camera(1);
    const next = camera(2);
    const keep = verifier(cam.publicKey);
    accept(keep, frame(cam, new Uint8Array(100), { seq: 1 }));
    // Memory freed later gives the allocator room again.
    const spare = verifier(camera(3).publicKey);
    fillToTheCeiling(memory);

    assert.throws(() => new Verifier(camera(4).publicKey), cleanError(/out of memory/));
    // The verifier built before is unaffected.
    accept(keep, frame(cam, new Uint8Array(100), { seq: 2 }));
    // A genuine rotation needs the new key's tables: no memory, a clean
    // Error, and nothing changed.
    const rotate = rotation(cam, next, 3);
    assert.throws(() => keep.verify(rotate), cleanError(/out of memory/));
    assert.deepStrictEqual(keep.linkedPublicKey, cam.publicKey);
    assert.deepStrictEqual(keep.stats().accepted, 2);
    accept(keep, frame(cam, new Uint8Array(100), { seq: 4 }));
    // Once memory is freed, the same rotation frame goes through.
    spare.free();
    const r = accept(keep, rotate);
    assert.deepStrictEqual(r.newPublicKey, next.publicKey);
    assert.deepStrictEqual(keep.linkedPublicKey, next.publicKey);
  });
