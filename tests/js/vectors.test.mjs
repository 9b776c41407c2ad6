// Every case of tests/vectors/frames.json through the JS Verifier, as
// docs/FORMAT.md §13 says: a verifier linked to keys.camera.public with the
// case's options (streamId as a Uint8Array, now: () => now_us / 1000), every
// `before` frame accepted, then `frame` gives `expect` (byte fields in hex).
// Run: node --test tests/js/   (after building pkg/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { Signer, Verifier, fingerprint } from '../../pkg/frameseal.js';
import { load, hex, toHex } from './lib.mjs';

load();
const vectors = JSON.parse(readFileSync(new URL('../vectors/frames.json', import.meta.url), 'utf8'));

/** A JS result with its byte fields as hex, comparable with `expect`. */
function asJson(result) {
  const out = {};
  for (const [k, v] of Object.entries(result)) out[k] = v instanceof Uint8Array ? toHex(v) : v;
  return out;
}

test('the keys in frames.json', () => {
  for (const [name, key] of Object.entries(vectors.keys)) {
    const signer = new Signer(hex(key.secret));
    assert.equal(toHex(signer.publicKey), key.public, name);
    assert.equal(fingerprint(hex(key.public)), key.fingerprint, name);
    // The key id is what that key's frames carry at offset 8.
    const frame = signer.signFrame(new Uint8Array(0), { timestampUs: 0 });
    assert.equal(toHex(frame.subarray(8, 16)), key.key_id, name);
  }
});

test('frames.json has a case for every drop reason and every codec', () => {
  const reasons = new Set(vectors.cases.filter((c) => !c.expect.ok).map((c) => c.expect.reason));
  assert.equal(reasons.size, 10, [...reasons].join());
  const codecs = new Set(vectors.cases.filter((c) => c.expect.ok).map((c) => c.expect.codec));
  assert.equal(codecs.size, 10, [...codecs].join());
});

for (const c of vectors.cases) {
  test(`vector ${c.name}`, () => {
    const options = { ...c.options, now: () => c.now_us / 1000 };
    if (typeof options.streamId === 'string') options.streamId = hex(options.streamId);
    const v = new Verifier(hex(vectors.keys.camera.public), options);
    for (const [i, before] of c.before.entries()) {
      assert.equal(v.verify(hex(before)).ok, true, `before[${i}] must be accepted`);
    }
    const result = v.verify(hex(c.frame));
    assert.deepStrictEqual(asJson(result), c.expect, c.description);
    const stats = v.stats();
    assert.equal(stats.accepted, c.before.length + (c.expect.ok ? 1 : 0));
    if (!c.expect.ok) assert.equal(stats.dropped[c.expect.reason], 1);
  });
}
