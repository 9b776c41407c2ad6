// Shared helpers for the Node tests of the built package (tests/js/*.test.mjs).
// Not a test file itself. Build pkg/ first (./build.sh build); FRAMESEAL_PKG
// picks another build (use-build.mjs).
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';

import { initSync, Verifier, Signer } from '../../pkg/frameseal.js';

/**
 * The directory of the build under test: pkg/, or $FRAMESEAL_PKG (say
 * pkg/mvp, the WebAssembly 1.0 build; relative to the repository) when the
 * tests run with `--import ./tests/js/use-build.mjs`.
 */
export const PKG = new URL(`../../${(process.env.FRAMESEAL_PKG ?? 'pkg').replace(/\/+$/, '')}/`, import.meta.url);

/** True when the build under test is the JS build (pkg/mvp-js: no .wasm). */
export const JS_BUILD = PKG.href.endsWith('/pkg/mvp-js/');
/** The raw bytes of the built module under test (none for the JS build). */
export const wasmBytes = () => (JS_BUILD ? new Uint8Array(0) : readFileSync(new URL('frameseal_bg.wasm', PKG)));

/** Instantiates the module once per process; returns wasm-bindgen's InitOutput. */
let output;
export function load() {
  output ??= initSync({ module: wasmBytes() });
  return output;
}

/** The fixed clock of the tests, ms since the epoch (2023-11-14T22:13:20Z). */
export const NOW_MS = 1_700_000_000_000;
export const NOW_US = NOW_MS * 1000;
export const clock = () => NOW_MS;

export const STREAM = new Uint8Array(16).fill(0x5a);
export const OTHER_STREAM = new Uint8Array(16).fill(0xb0);

/** Every drop reason, in check order (SPEC §3, with §6.4's 'unsigned'). */
export const REASONS = [
  'malformed', 'unsupported-version', 'unsigned', 'too-large', 'foreign-key', 'bad-signature',
  'wrong-stream', 'stale', 'future', 'replayed', 'bad-rotation',
];

export const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
export const toHex = (u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');

/** A signer with the secret key [seed; 32]. */
export const camera = (seed) => new Signer(new Uint8Array(32).fill(seed));

/** A frame on STREAM with the given fields; captured at NOW_MS + atMs. */
export function frame(cam, payload, { seq, atMs = 0, stream = STREAM, keyframe = false, endOfStream = false, codec = 'opaque' } = {}) {
  return cam.signFrame(payload, {
    streamId: stream, seq, timestampUs: NOW_US + atMs * 1000, keyframe, endOfStream, codec,
  });
}

/** A key-rotation frame from `cam` to `next` on STREAM at NOW. */
export const rotation = (cam, next, seq) => cam.signRotation(next, { streamId: STREAM, seq, timestampUs: NOW_US });

/** A copy of `bytes` with `edit(copy)` applied. */
export function edited(bytes, edit) {
  const copy = Uint8Array.from(bytes);
  edit(copy);
  return copy;
}

/** A verifier linked to `key` on the fixed clock, plus `options`. */
export const verifier = (key, options = {}) => new Verifier(key, { now: clock, ...options });

export function accept(v, bytes) {
  const r = v.verify(bytes);
  assert.equal(r.ok, true, `expected acceptance, got ${JSON.stringify(r)}`);
  return r;
}

export function reason(v, bytes) {
  const r = v.verify(bytes);
  assert.deepEqual(Object.keys(r), ['ok', 'reason']);
  assert.equal(r.ok, false);
  return r.reason;
}

/** Stats with every count at zero except those given. */
export function statsWith(accepted, counts = {}) {
  return { accepted, dropped: Object.fromEntries(REASONS.map((r) => [r, counts[r] ?? 0])) };
}

/** The accepted result without its payload view, for deepStrictEqual. */
export function withoutPayload(result) {
  const { payload, ...rest } = result;
  return rest;
}
