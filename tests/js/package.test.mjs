// The built package's shape (SPEC §4): what pkg/frameseal.js exports and how
// it is instantiated. Run: node --test tests/js/   (after building pkg/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

import * as pkg from '../../pkg/frameseal.js';
import init, { initSync, Verifier, Signer, fingerprint } from '../../pkg/frameseal.js';
import { wasmBytes, NOW_US, STREAM, camera, clock, PKG, JS_BUILD } from './lib.mjs';

test('the module under test is the build FRAMESEAL_PKG names (pkg/ by default)', () => {
  // The JS build is pkg/mvp-js/frameseal.js behind js-build.mjs (init/initSync added).
  const expected = JS_BUILD ? new URL('js-build.mjs', import.meta.url) : new URL('frameseal.js', PKG);
  assert.equal(import.meta.resolve('../../pkg/frameseal.js'), expected.href);
});

test('the exports SPEC §4 names exist', () => {
  assert.equal(typeof init, 'function', 'default export init');
  assert.equal(pkg.default, init);
  assert.equal(typeof initSync, 'function');
  assert.equal(typeof Verifier, 'function');
  assert.equal(typeof Signer, 'function');
  assert.equal(typeof Signer.generate, 'function');
  assert.equal(typeof fingerprint, 'function');
  for (const m of ['verify', 'stats']) assert.equal(typeof Verifier.prototype[m], 'function', m);
  for (const m of ['signFrame', 'signRotation']) assert.equal(typeof Signer.prototype[m], 'function', m);
  assert.equal(typeof Object.getOwnPropertyDescriptor(Verifier.prototype, 'linkedPublicKey').get, 'function');
  assert.equal(typeof Object.getOwnPropertyDescriptor(Signer.prototype, 'publicKey').get, 'function');
});

test('the package ships types and its wasm next to the module', () => {
  for (const f of ['frameseal.js', 'frameseal_bg.wasm', 'frameseal.d.ts']) {
    assert.ok(existsSync(new URL(`../../pkg/${f}`, import.meta.url)), f);
  }
  const dts = readFileSync(new URL('../../pkg/frameseal.d.ts', import.meta.url), 'utf8');
  for (const name of ['class Verifier', 'class Signer', 'function fingerprint', 'type DropReason',
    'type VerifyResult', 'interface VerifierOptions', 'export default function', 'function initSync']) {
    assert.ok(dts.includes(name), `frameseal.d.ts declares ${name}`);
  }
});

test('default export init instantiates from bytes, then everything works', {
  skip: JS_BUILD && 'the JS build has no WebAssembly module to instantiate',
}, async () => {
  const exports = await init({ module_or_path: wasmBytes() });
  assert.ok(exports.memory instanceof WebAssembly.Memory);
  // initSync after init is a no-op returning the same instance.
  assert.equal(initSync({ module: wasmBytes() }), exports);

  const cam = camera(1);
  const v = new Verifier(cam.publicKey, { now: clock });
  const r = v.verify(cam.signFrame(new Uint8Array([1, 2, 3]), { streamId: STREAM, seq: 0, timestampUs: NOW_US }));
  assert.equal(r.ok, true);
  assert.match(fingerprint(cam.publicKey), /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
});
