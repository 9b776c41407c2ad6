// Prototype pollution (issue 14, finding 1; SPEC §4 "Robustness rules"):
// options, configurations and messages are read from their own properties
// only, so a property another script (or a pollution bug) puts on
// Object.prototype steers nothing: not which WebAssembly bytes or which
// build the loader initialises, not the pool's worker script or a pooled
// gate's linked key, not how the WebRTC helpers attach, not what a
// frameReaderStream yields, and not a Verifier's, FrameReader's or
// Signer's options. Each test pollutes Object.prototype the way the attack
// would and removes what it added in a `finally`.
//
// The loader tests run only on pkg/ as built (they pick builds themselves,
// the mvp and JS builds included); everything else runs on every build
// (FRAMESEAL_PKG, see use-build.mjs).
// Run: node --test tests/js/   (after ./build.sh build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { Verifier, FrameReader, frameReaderStream } from '../../pkg/frameseal.js';
import {
  load, NOW_MS, NOW_US, STREAM, OTHER_STREAM, clock, camera, frame, verifier, accept, reason,
} from './lib.mjs';

load();

const ROOT_PKG = new URL('../../pkg/', import.meta.url);
const loaderSkip = process.env.FRAMESEAL_PKG ? 'FRAMESEAL_PKG is set: the loader tests run only on pkg/ as built' : false;
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Runs `body` with `props` set on Object.prototype as a pollution bug sets
 * them (plain assignment: enumerable, inherited by every object), and puts
 * Object.prototype back as it was afterwards, whatever happens.
 */
async function polluted(props, body) {
  const saved = Object.keys(props).map((key) => [key, Object.getOwnPropertyDescriptor(Object.prototype, key)]);
  try {
    for (const [key, value] of Object.entries(props)) Object.prototype[key] = value; // eslint-disable-line no-extend-native
    return await body();
  } finally {
    for (const [key, descriptor] of saved) {
      delete Object.prototype[key];
      if (descriptor) Object.defineProperty(Object.prototype, key, descriptor);
    }
    for (const [key] of saved) assert.equal(hasOwn(Object.prototype, key), false, `Object.prototype.${key} left behind`);
  }
}

/** Runs `body` with `globals` as the global object's own properties (stand-ins for browser interfaces). */
async function withGlobals(globals, body) {
  const saved = Object.keys(globals).map((key) => [key, Object.getOwnPropertyDescriptor(globalThis, key)]);
  try {
    for (const [key, value] of Object.entries(globals)) {
      Object.defineProperty(globalThis, key, { value, writable: true, configurable: true });
    }
    return await body();
  } finally {
    for (const [key, descriptor] of saved) {
      delete globalThis[key];
      if (descriptor) Object.defineProperty(globalThis, key, descriptor);
    }
  }
}

/**
 * Runs `fn` (a self-contained async function of one JSON argument) in a
 * fresh Node process, where no build is initialised and the loader has
 * loaded nothing yet; returns what it returned (as JSON).
 */
function inFreshProcess(fn, arg) {
  const script = `const run = ${fn};\nprocess.stdout.write(JSON.stringify(await run(${JSON.stringify(arg)})));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `the fresh process failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

// --- the loader ------------------------------------------------------------

/**
 * In a fresh process: pollutes Object.prototype (`props`; `wasm: true`
 * becomes a function that records the call and returns the build's real
 * bytes), then load(options) with fetch serving each build's own .wasm
 * (Node has no fetch for file: URLs; a browser fetches them from beside the
 * module). Returns what the polluted wasm was asked for, what was fetched,
 * the build loaded, and whether it verifies a real frame.
 */
async function loadPolluted({ pkg, props, options }) {
  const { readFileSync: read } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const called = [];
  const fetched = [];
  const bytesOf = (build) => read(new URL(build === 'mvp' ? 'mvp/frameseal_bg.wasm' : 'frameseal_bg.wasm', pkg));
  globalThis.fetch = async (url) => {
    fetched.push(String(url).slice(pkg.length));
    return new Response(read(fileURLToPath(url)), { headers: { 'content-type': 'application/wasm' } });
  };
  const values = { ...props };
  if (values.wasm === true) values.wasm = (build) => { called.push(build); return bytesOf(build); };
  for (const [key, value] of Object.entries(values)) Object.prototype[key] = value;
  try {
    const loader = await import(new URL('loader.js', pkg));
    const module = await loader.load(options);
    const camera = new module.Signer(new Uint8Array(32).fill(9));
    const verifier = new module.Verifier(camera.publicKey, { now: () => 1_700_000_000_000 });
    const frame = camera.signFrame(new Uint8Array([1, 2, 3]), { seq: 1, timestampUs: 1_700_000_000_000_000 });
    const forged = Uint8Array.from(frame);
    forged[forged.length - 1] ^= 1;
    const verdicts = [verifier.verify(forged).reason ?? 'ok', verifier.verify(frame).ok ? 'ok' : 'dropped'];
    return { called, fetched, build: loader.loadedBuild, verdicts };
  } finally {
    for (const key of Object.keys(values)) delete Object.prototype[key];
  }
}

for (const [build, options, wasmFile] of [
  ['modern', undefined, 'frameseal_bg.wasm'],
  ['mvp', { build: 'mvp' }, 'mvp/frameseal_bg.wasm'],
]) {
  test(`a polluted Object.prototype.wasm cannot choose the loader's WebAssembly bytes (${build} build)`, { skip: loaderSkip }, () => {
    const out = inFreshProcess(loadPolluted, { pkg: ROOT_PKG.href, props: { wasm: true }, options });
    assert.deepEqual(out.called, [], 'the inherited wasm() was asked for the bytes of the verifier');
    assert.deepEqual(out.fetched, [wasmFile], 'the build fetched its own .wasm');
    assert.equal(out.build, build);
    assert.deepEqual(out.verdicts, ['bad-signature', 'ok']);
  });
}

test('a polluted Object.prototype.build or .webAssembly cannot choose the loader\'s build', { skip: loaderSkip }, () => {
  // (JSON-able values: they cross to the fresh process as JSON.)
  for (const props of [{ build: 'js' }, { build: 'mvp' }, { webAssembly: null }, { webAssembly: {} }]) {
    const out = inFreshProcess(loadPolluted, { pkg: ROOT_PKG.href, props, options: undefined });
    assert.equal(out.build, 'modern', `Object.prototype ${JSON.stringify(Object.keys(props))} chose the ${out.build} build`);
    assert.deepEqual(out.fetched, ['frameseal_bg.wasm']);
    assert.deepEqual(out.verdicts, ['bad-signature', 'ok']);
  }
});

test('a polluted Object.prototype.modern cannot pass for a build the loader already loaded', { skip: loaderSkip }, async () => {
  // A loader instance of its own (the query string), so nothing is loaded in it yet.
  const loader = await import(new URL('loader.js?prototype-pollution-pending', ROOT_PKG));
  const real = await import('../../pkg/frameseal.js');
  const fake = { Verifier: class { verify() { return { ok: true }; } } };
  const bytes = readFileSync(new URL('frameseal_bg.wasm', ROOT_PKG));
  await polluted({ modern: Promise.resolve(fake), mvp: Promise.resolve(fake), js: Promise.resolve(fake) }, async () => {
    const module = await loader.load({ build: 'modern', wasm: () => bytes });
    assert.equal(module, real, 'load() resolved to an object from Object.prototype');
    assert.equal(loader.loadedBuild, 'modern');
  });
});

test('a polluted Object.prototype.WebAssembly does not pass for WebAssembly in an engine without it', { skip: loaderSkip }, async () => {
  const loader = await import(new URL('loader.js?prototype-pollution-webassembly', ROOT_PKG));
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly');
  const asked = [];
  const fakeWasm = {
    validate: () => { asked.push('validate'); return true; },
    instantiate: async () => { asked.push('instantiate'); throw new Error('not this one'); },
    instantiateStreaming: async () => { asked.push('instantiateStreaming'); throw new Error('not this one'); },
    Module: class {},
    Instance: class {},
    Memory: class {},
  };
  delete globalThis.WebAssembly;
  try {
    await polluted({ WebAssembly: fakeWasm, validate: () => true }, async () => {
      assert.equal(typeof WebAssembly, 'object', 'the pollution is visible as a global');
      assert.equal(loader.detectBuild(), 'js', 'an inherited WebAssembly was taken for the engine\'s');
      assert.equal(loader.detectBuild({}), 'js', 'an inherited validate() was taken for the hook\'s');
      const module = await loader.load();
      assert.equal(loader.loadedBuild, 'js');
      assert.equal(module, await import('../../pkg/mvp-js/frameseal.js'));
      assert.deepEqual(asked, []);
    });
  } finally {
    Object.defineProperty(globalThis, 'WebAssembly', saved);
  }
  assert.equal(loader.detectBuild(), 'modern', 'the engine\'s own WebAssembly is still found');
});

// --- GatePool (its page side; the workers are stand-ins) -------------------

/** A stand-in for Worker: records how it was made and what was posted; `reply` plays the worker. */
class FakeWorker {
  static made = [];
  constructor(url, options) {
    this.url = String(url);
    this.options = options;
    this.posted = [];
    FakeWorker.made.push(this);
  }
  postMessage(message, transfer) { this.posted.push({ message, transfer }); }
  terminate() {}
  reply(data) { this.onmessage({ data }); }
  last(type) { return this.posted.map((p) => p.message).filter((m) => m.type === type).at(-1); }
}
class FakeOffscreenCanvas {}

/** Runs `body(GatePool)` with Worker, OffscreenCanvas and a page's document stand-ins as globals. */
async function withPool(body) {
  FakeWorker.made = [];
  const { GatePool } = await import('../../pkg/pool/index.js');
  const document = { baseURI: new URL('page.html', ROOT_PKG).href };
  return withGlobals({ Worker: FakeWorker, OffscreenCanvas: FakeOffscreenCanvas, document }, () => body(GatePool));
}

/** Opens a gate on `pool` and answers for its worker as the real one would. */
async function openGate(pool, key, options) {
  const worker = FakeWorker.made.at(-1);
  const opening = options === undefined ? pool.open(new FakeOffscreenCanvas(), key) : pool.open(new FakeOffscreenCanvas(), key, options);
  const open = worker.last('open');
  if (!open) await opening; // refused before posting anything: rejects with the reason
  worker.reply({ type: 'opened', id: open.id, linkedPublicKey: key, build: 'modern' });
  return { gate: await opening, worker, open };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test('a polluted Object.prototype.workerUrl, .build or .workers cannot choose the pool\'s workers', async () => {
  await withPool(async (GatePool) => {
    const cores = globalThis.navigator?.hardwareConcurrency || 2;
    await polluted({ workerUrl: 'data:text/javascript,postMessage(0)', build: 'js', workers: 64 }, () => {
      const pool = new GatePool();
      assert.equal(pool.size, Math.max(1, Math.min(cores, 4)), 'the default number of workers');
      for (const worker of FakeWorker.made) {
        assert.equal(worker.url, new URL('pool/worker.js', ROOT_PKG).href, 'the package\'s own worker, the loader choosing its build');
        assert.equal(worker.options.type, 'module');
      }
    });
  });
});

test('a polluted Object.prototype.newPublicKey cannot replace a pooled gate\'s linked key, nor .error fail its pushes', async () => {
  await withPool(async (GatePool) => {
    const key = camera(1).publicKey;
    const pool = new GatePool({ workers: 1 });
    const { gate, worker, open } = await openGate(pool, key, {});
    await polluted({ newPublicKey: camera(6).publicKey, error: 'forged by Object.prototype' }, async () => {
      const pushed = gate.push(new Uint8Array(8));
      await tick(); // the pool posts a task's pushes together
      const [item] = worker.last('push').items;
      assert.equal(item.id, open.id);
      // What the worker sends back for an accepted still: no newPublicKey, no error.
      worker.reply({ type: 'pushed', items: [{ id: item.id, n: item.n, result: { ok: true, drawn: true } }] });
      const r = await pushed;
      assert.equal(r.ok, true);
      assert.deepEqual(gate.linkedPublicKey, key, 'the gate took an inherited newPublicKey for a rotation');
    });
  });
});

test('a polluted Object.prototype.now, .onDrop or .transfer does not reach GatePool.open or push', async () => {
  await withPool(async (GatePool) => {
    const key = camera(1).publicKey;
    const pool = new GatePool({ workers: 1 });
    const heard = [];
    await polluted({ now: () => 0, onDrop: (r) => heard.push(r), onReport: 'not a function', transfer: true }, async () => {
      const { gate, worker, open } = await openGate(pool, key);
      assert.deepEqual(Object.keys(open.options), [], 'options posted to the worker');
      assert.deepEqual(open.events, { drop: false, stall: false, resume: false, report: false });
      const bytes = new Uint8Array(8).fill(3);
      const pushed = gate.push(bytes);
      await tick();
      const [item] = worker.last('push').items;
      assert.notEqual(item.frame, bytes.buffer, 'the frame was handed over instead of copied');
      worker.reply({ type: 'event', id: open.id, kind: 'drop', value: { ok: false, reason: 'foreign-key' } });
      worker.reply({ type: 'pushed', items: [{ id: item.id, n: item.n, result: { ok: false, reason: 'foreign-key', drawn: false } }] });
      assert.equal((await pushed).reason, 'foreign-key');
      assert.deepEqual(heard, [], 'an inherited onDrop heard the drops');
    });
  });
});

// --- WebRTC page helpers -----------------------------------------------------

class FakeScriptTransform {
  constructor(worker, options) {
    this.worker = worker;
    this.options = options;
  }
}

test('a polluted Object.prototype.mode or .name cannot choose how protect() attaches the worker', async () => {
  const { protect, encodedTransformSupport } = await import('../../pkg/webrtc/index.js');
  await withGlobals({ RTCRtpScriptTransform: FakeScriptTransform }, () => polluted({ mode: 'encoded-streams', name: 'evil' }, async () => {
    assert.equal(encodedTransformSupport(), 'script-transform');
    const worker = {};
    const target = {};
    assert.equal(await protect(target, worker), 'script-transform');
    assert.ok(target.transform instanceof FakeScriptTransform);
    assert.deepEqual(Object.keys(target.transform.options), [], 'an inherited name labelled the transform');
    const named = {};
    assert.equal(await protect(named, worker, { name: 'camera' }), 'script-transform');
    assert.deepEqual({ ...named.transform.options }, { name: 'camera' });
  }));
});

test('a polluted Object.prototype.RTCRtpScriptTransform does not pass for the browser\'s', async () => {
  const { protect, encodedTransformSupport } = await import('../../pkg/webrtc/index.js');
  assert.equal(typeof RTCRtpScriptTransform, 'undefined', 'Node has no RTCRtpScriptTransform');
  await polluted({ RTCRtpScriptTransform: FakeScriptTransform }, async () => {
    assert.equal(encodedTransformSupport(), null);
    const target = {};
    // Attaching the impostor would leave the track with no verification at all.
    await assert.rejects(protect(target, {}), /no encoded transform API/);
    await assert.rejects(protect(target, {}, { mode: 'script-transform' }), /no RTCRtpScriptTransform/);
    assert.equal(hasOwn(target, 'transform'), false);
  });
});

// --- frameReaderStream --------------------------------------------------------

test('a polluted Object.prototype.start cannot put results of its own into a frameReaderStream', async () => {
  const cam = camera(1);
  const genuine = frame(cam, new Uint8Array([1, 2, 3]), { seq: 0 });
  const injected = { ok: true, payload: new TextEncoder().encode('not from the camera'), seq: 99 };
  const results = await polluted({ start(controller) { controller.enqueue(injected); } }, async () => {
    const stream = frameReaderStream(cam.publicKey, { now: clock });
    const writer = stream.writable.getWriter();
    writer.write(genuine);
    writer.close();
    const out = [];
    const reader = stream.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out.push(value);
    }
    return out;
  });
  assert.deepEqual(results.map((r) => [r.ok, r.seq]), [[true, 0]], 'only the genuine frame\'s result');
});

// --- the options read by the wasm binding (src/wasm) ------------------------

test('Object.prototype.maxAgeMs = null does not switch a Verifier\'s freshness off', async () => {
  const cam = camera(1);
  const stale = frame(cam, new Uint8Array(1), { seq: 0, atMs: -60_000 });
  await polluted({ maxAgeMs: null, maxFutureSkewMs: null }, () => {
    const v = new Verifier(cam.publicKey, { now: clock, replayWindow: 64 });
    assert.equal(reason(v, stale), 'stale');
    assert.equal(reason(v, frame(cam, new Uint8Array(1), { seq: 1, atMs: 60_000 })), 'future');
    accept(v, frame(cam, new Uint8Array(1), { seq: 2 }));
  });
});

test('Object.prototype.now does not become a Verifier\'s clock', async () => {
  const cam = camera(1);
  await polluted({ now: () => NOW_MS }, () => {
    // The frame was signed at NOW_MS (2023): stale by the real clock.
    const v = new Verifier(cam.publicKey, { replayWindow: 64 });
    assert.equal(reason(v, frame(cam, new Uint8Array(1), { seq: 0 })), 'stale');
    const fresh = cam.signFrame(new Uint8Array(1), { streamId: STREAM, seq: 1, timestampUs: Date.now() * 1000 });
    accept(v, fresh);
  });
});

test('Object.prototype.streamId and .replayWindow do not reach a Verifier', async () => {
  const cam = camera(1);
  await polluted({ streamId: OTHER_STREAM, replayWindow: 0 }, () => {
    const v = verifier(cam.publicKey);
    accept(v, frame(cam, new Uint8Array(1), { seq: 5, keyframe: true }));
    accept(v, frame(cam, new Uint8Array(1), { seq: 3 })); // within the default window of 64
  });
});

test('Object.prototype.maxAgeMs = null and .now do not reach a FrameReader', async () => {
  const cam = camera(1);
  await polluted({ maxAgeMs: null, now: () => NOW_MS }, () => {
    const reader = new FrameReader(cam.publicKey, {});
    const results = reader.push(frame(cam, new Uint8Array(4), { seq: 0 }));
    assert.deepEqual(results.map((r) => r.reason ?? 'ok'), ['stale'], 'judged by the real clock and the default maxAgeMs');
    reader.free();
  });
});

test('Object.prototype.seq, .timestampUs, .keyframe, .codec and .streamId do not reach Signer.signFrame', async () => {
  const cam = camera(1);
  const check = new Verifier(cam.publicKey, { maxAgeMs: null, maxFutureSkewMs: null });
  await polluted({ seq: 41, timestampUs: NOW_US, keyframe: true, endOfStream: true, codec: 'jpeg', streamId: OTHER_STREAM }, () => {
    const before = Date.now() * 1000;
    const r = accept(check, cam.signFrame(new Uint8Array([7]), {}));
    assert.equal(r.seq, 0, 'the signer\'s own first seq');
    assert.ok(r.timestampUs >= before - 1000, `timestamp now, not inherited (${r.timestampUs})`);
    assert.equal(r.keyframe, false);
    assert.equal(r.endOfStream, false);
    assert.equal(r.codec, 'opaque');
    assert.deepEqual(r.streamId, cam.streamId, 'the signer\'s own session stream');
  });
  check.free();
});
