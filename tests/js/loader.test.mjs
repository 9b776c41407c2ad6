// pkg/loader.js (js/loader.js, issue 9): the probe, and each path load()
// can take, forced in Node: the modern build (Node validates the probe),
// the WebAssembly 1.0 build (a stand-in WebAssembly whose validate()
// refuses the probe, and `build: 'mvp'`), and an engine with no
// WebAssembly at all (the wasm2js build). Every build it picks must verify
// a real signed frame.
// Run: node --test tests/js/   (after ./build.sh build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { NOW_US, STREAM, clock } from './lib.mjs';

// Under use-build.mjs, pkg/frameseal.js is swapped for another build, and
// "modern" would not be the modern build: this file picks builds itself.
const skip = process.env.FRAMESEAL_PKG ? 'FRAMESEAL_PKG is set: the loader test runs only on pkg/ as built' : false;

const PKG = new URL('../../pkg/', import.meta.url);
const WASM_VALIDATE = fileURLToPath(new URL('../../node_modules/.bin/wasm-validate', import.meta.url));
const bytesOf = (build) => readFileSync(new URL(build === 'mvp' ? 'mvp/frameseal_bg.wasm' : 'frameseal_bg.wasm', PKG));

const PROBE_WAT = `(module (memory 1)
  (func (param externref) (result i32 i32)
    i32.const 0 i32.extend8_s
    f32.const 0 i32.trunc_sat_f32_s
    i32.const 0 i32.const 0 i32.const 0 memory.fill
    v128.const i32x4 0 0 0 0 i32x4.extract_lane 0
    i32.add))`;

/** A frame signed by `module`'s Signer, and a Verifier of the same module linked to its key. */
function verifiesARealFrame(module) {
  const camera = new module.Signer(new Uint8Array(32).fill(9));
  const frame = camera.signFrame(new Uint8Array([0xff, 0xd8, 1, 2]), {
    streamId: STREAM, seq: 7, timestampUs: NOW_US, keyframe: true, codec: 'jpeg',
  });
  const verifier = new module.Verifier(camera.publicKey, { now: clock, streamId: STREAM });
  const r = verifier.verify(frame);
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual([...r.payload], [0xff, 0xd8, 1, 2]);
  assert.equal(r.seq, 7);
  assert.equal(verifier.verify(frame).reason, 'replayed');
  const forged = Uint8Array.from(frame);
  forged[forged.length - 1] ^= 1;
  const fresh = new module.Verifier(camera.publicKey, { now: clock, streamId: STREAM });
  assert.equal(fresh.verify(forged).reason, 'bad-signature');
  assert.match(module.fingerprint(camera.publicKey), /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  return frame;
}

test('the probe is the documented module and needs every feature the modern build uses', { skip }, async () => {
  const loader = await import('../../pkg/loader.js');
  const wabt = await createRequire(import.meta.url)('wabt')();
  const probe = loader.probeBytes();
  const built = wabt.parseWat('probe.wat', PROBE_WAT).toBinary({}).buffer;
  assert.deepEqual([...probe], [...built]);
  assert.equal(WebAssembly.validate(probe), true);
  // wabt's wasm-validate, as build.sh runs it on pkg/mvp (its JS readWasm
  // does not check multi-value results).
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'frameseal-probe-')), 'probe.wasm');
  writeFileSync(file, probe);
  const validate = (flags) => spawnSync(WASM_VALIDATE, [...flags, file], { encoding: 'utf8' });
  assert.equal(validate([]).status, 0, validate([]).stderr);
  for (const feature of ['simd', 'reference-types', 'multi-value', 'bulk-memory', 'sign-extension', 'saturating-float-to-int']) {
    const r = validate([`--disable-${feature}`]);
    assert.notEqual(r.status, 0, `the probe is valid without ${feature}`);
    assert.match(r.stderr, /error/);
  }
});

test('detectBuild: modern here, mvp when the probe is refused or validate throws, js without WebAssembly', { skip }, async () => {
  const { detectBuild } = await import('../../pkg/loader.js');
  assert.equal(detectBuild(), 'modern');
  assert.equal(detectBuild(WebAssembly), 'modern');
  assert.equal(detectBuild({ validate: () => false }), 'mvp');
  assert.equal(detectBuild({ validate: () => { throw new TypeError('no'); } }), 'mvp');
  assert.equal(detectBuild(null), 'js');
  assert.equal(detectBuild({}), 'js');
});

test('load(): the probe passes, the modern build is initialised and verifies a real frame', { skip }, async () => {
  const loader = await import('../../pkg/loader.js');
  const chosen = [];
  const module = await loader.load({ wasm: (build) => { chosen.push(build); return bytesOf(build); } });
  assert.deepEqual(chosen, ['modern']);
  assert.equal(loader.loadedBuild, 'modern');
  assert.equal(module, await import('../../pkg/frameseal.js'));
  verifiesARealFrame(module);
  assert.equal(await loader.load({ build: 'modern' }), module, 'loaded once');
});

test('load(): the probe fails (test hook), the mvp build is initialised and verifies a real frame', { skip }, async () => {
  const loader = await import('../../pkg/loader.js');
  const chosen = [];
  const module = await loader.load({
    webAssembly: { validate: () => false },
    wasm: (build) => { chosen.push(build); return bytesOf(build); },
  });
  assert.deepEqual(chosen, ['mvp']);
  assert.equal(loader.loadedBuild, 'mvp');
  const mvp = await import('../../pkg/mvp/frameseal.js');
  assert.equal(module, mvp);
  assert.notEqual(module, await import('../../pkg/frameseal.js'));
  const frame = verifiesARealFrame(module);
  // Same behaviour: a frame signed by one build verifies in the other.
  const modern = await loader.load({ build: 'modern', wasm: bytesOf });
  const key = new module.Signer(new Uint8Array(32).fill(9)).publicKey;
  assert.deepEqual(key, new modern.Signer(new Uint8Array(32).fill(9)).publicKey);
  assert.equal(new modern.Verifier(key, { now: clock, streamId: STREAM }).verify(frame).ok, true);
  assert.deepEqual(module.fingerprint(key), modern.fingerprint(key));
  assert.equal(await loader.load({ build: 'mvp' }), mvp, 'forced, and loaded once');
  assert.equal(loader.loadedBuild, 'mvp');
});

test('load(): no WebAssembly at all picks the JS build (wasm2js), which verifies real frames and grows its memory', { skip }, async () => {
  const loader = await import('../../pkg/loader.js');
  assert.equal(loader.detectBuild(null), 'js');
  assert.equal(loader.detectBuild({}), 'js', 'an object without validate() is no WebAssembly');
  const modern = await loader.load({ build: 'modern', wasm: bytesOf });
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly');
  delete globalThis.WebAssembly;
  try {
    assert.equal(typeof WebAssembly, 'undefined');
    assert.equal(loader.detectBuild(), 'js');
    const called = [];
    const js = await loader.load({ wasm: (build) => { called.push(build); } });
    assert.deepEqual(called, [], 'the JS build fetches nothing');
    assert.equal(loader.loadedBuild, 'js');
    assert.equal(js, await import('../../pkg/mvp-js/frameseal.js'));
    const frame = verifiesARealFrame(js);
    const key = new js.Signer(new Uint8Array(32).fill(9)).publicKey;
    assert.equal(new modern.Verifier(key, { now: clock, streamId: STREAM }).verify(frame).ok, true,
      'its frames verify in the modern build');
    // A 2 MiB frame (signed by the fast build) makes the JS build's memory
    // grow past its first size; the glue must follow the new buffer.
    const camera = new modern.Signer(new Uint8Array(32).fill(5));
    const payload = new Uint8Array(2 * 1024 * 1024).map((_, i) => i * 7);
    const big = camera.signFrame(payload, { streamId: STREAM, seq: 1, timestampUs: NOW_US });
    const verifier = new js.Verifier(camera.publicKey, { now: clock, streamId: STREAM });
    const r = verifier.verify(big);
    assert.equal(r.ok, true, JSON.stringify(r.reason));
    assert.deepEqual(r.payload.subarray(0, 4096), payload.subarray(0, 4096));
    assert.equal(verifier.verify(camera.signFrame(new Uint8Array([1]), { streamId: STREAM, seq: 2, timestampUs: NOW_US })).ok, true);
    // Bigint options cross the wasm2js 64-bit import as two halves.
    const signed = new js.Signer(new Uint8Array(32).fill(9)).signFrame(new Uint8Array(1), { seq: 5n, timestampUs: BigInt(NOW_US) });
    assert.equal(new modern.Verifier(new js.Signer(new Uint8Array(32).fill(9)).publicKey, { now: clock }).verify(signed).seq, 5);
  } finally {
    Object.defineProperty(globalThis, 'WebAssembly', saved);
  }
  assert.equal(await loader.load({ webAssembly: null }), await import('../../pkg/mvp-js/frameseal.js'));
});

test('load(): bad options reject and name the problem', { skip }, async () => {
  const { load } = await import('../../pkg/loader.js');
  await assert.rejects(load({ build: 'wasm2' }), /build must be 'auto', 'modern', 'mvp' or 'js', got "wasm2"/);
  await assert.rejects(load({ bulid: 'mvp' }), /unknown option "bulid"/);
  await assert.rejects(load({ wasm: 'x.wasm' }), /wasm must be a function/);
  await assert.rejects(load(null), /options must be an object/);
});
