// Pairing codes from JS (docs/PAIRING.md): round trip, the documented
// vector, typos reported with their group, and clean errors for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { load } from './lib.mjs';
import { Signer, Verifier, pairingCode, parsePairingCode, fingerprint } from '../../pkg/frameseal.js';

load();

const RFC_KEY = Uint8Array.from(Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex'));
const RFC_CODE = 'fs1-25njm-qamc6-wefld-pvkla-73j4a-szahd-hiho2-c4xtz-3ktck-gjnpl-aingd-r5yhy-kenaj-dxoo';

test('a pairing code reads back to the same key, which links', () => {
  const cam = Signer.generate();
  const code = pairingCode(cam.publicKey);
  assert.match(code, /^fs1(-[a-z2-7]{5}){13}-[a-z2-7]{4}$/);
  const key = parsePairingCode(code);
  assert.deepEqual(key, cam.publicKey);
  assert.equal(fingerprint(key), fingerprint(cam.publicKey));
  const v = new Verifier(key, {});
  assert.equal(v.verify(cam.signFrame(new Uint8Array(4), { keyframe: true })).ok, true);
});

test('the documented vector', () => {
  assert.equal(pairingCode(RFC_KEY), RFC_CODE);
  assert.deepEqual(parsePairingCode(RFC_CODE.toUpperCase().replaceAll('-', ' ')), RFC_KEY);
});

test('a typo is reported with its group, never linked as another key', () => {
  const chars = [...RFC_CODE];
  // Group 3 starts after "fs1-" and two groups of "xxxxx-".
  const at = 4 + 2 * 6 + 1;
  chars[at] = chars[at] === 'a' ? 'b' : 'a';
  assert.throws(() => parsePairingCode(chars.join('')), (e) => e instanceof Error && /typo in group 3/.test(e.message));
  assert.throws(() => parsePairingCode(RFC_CODE.slice(0, -1)), /69 characters/);
  assert.throws(() => parsePairingCode(RFC_CODE.slice(4)), /starts with "fs1-"/);
  assert.throws(() => parsePairingCode(pairingCode(new Uint8Array(32))), /cannot be linked: .*small order/);
});

test('bad arguments throw clear errors and the module keeps working', () => {
  assert.throws(() => parsePairingCode(42), /text must be a string, got number/);
  assert.throws(() => parsePairingCode(undefined), /text must be a string/);
  assert.throws(() => pairingCode('fs1'), /publicKey must be a Uint8Array/);
  assert.throws(() => pairingCode(new Uint8Array(31)), /publicKey must be 32 bytes/);
  assert.equal(pairingCode(RFC_KEY), RFC_CODE);
});
