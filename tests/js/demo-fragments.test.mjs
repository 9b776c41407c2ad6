// FragmentFilter (SPEC §7) through the built package, on every build, on
// fragments made by the relay demo's live pipeline (tests/fixtures/demo/,
// made by tools/make-demo-fixtures.sh): ffmpeg's x264 output, every access
// unit sealed in-band by the demo's camera, remuxed by `ffmpeg -c copy` to
// one moof+mdat per frame, 30 frames (one GOP, keyframe first) per segment.
// The demo's relay hands these fragments to viewers one at a time (the
// go2rtc-style WebSocket) or concatenated (LL-HLS); the tests feed them both
// ways and as the relay's faults leave them: another home's, one missing,
// one sent again, one with a flipped slice byte.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { FragmentFilter } from '../../pkg/frameseal.js';
import { load, hex } from './lib.mjs';

load();

const fixture = (name) => new Uint8Array(readFileSync(new URL(`../fixtures/demo/${name}`, import.meta.url)));
const KEYS = Object.fromEntries(new TextDecoder().decode(fixture('keys.txt')).trim().split('\n')
  .map((line) => line.split(' ')).map(([id, key]) => [id, hex(key)]));
/** The fixtures were captured once: no age or clock limits (the replay window stays). */
const OPTIONS = { maxAgeMs: null, maxFutureSkewMs: null };
const summary = (r) => r.results.map((x) => (x.ok ? (x.kept ? '+' : x.notKept) : x.reason));
const HOME = ['home0.m4s', 'home1.m4s', 'home2.m4s'].map(fixture);

/** A segment's moof+mdat pairs, each a view of it. */
function fragments(segment) {
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const out = [];
  let start = null;
  for (let at = 0; at < segment.length;) {
    const size = view.getUint32(at);
    const kind = String.fromCharCode(...segment.subarray(at + 4, at + 8));
    assert.ok(size >= 8 && at + size <= segment.length, `box ${kind} at ${at} fits`);
    if (kind === 'moof') start = at;
    if (kind === 'mdat') out.push(segment.subarray(start, at + size));
    at += size;
  }
  return out;
}

function homeFilter() {
  const f = new FragmentFilter(KEYS.home, OPTIONS);
  f.init(fixture('home-init.mp4'));
  return f;
}

/**
 * A copy of `fragment` with one byte flipped in the middle of its slice NAL
 * unit (as the relay's tamper fault does): the sample is the mdat's body,
 * NAL units with 4-byte lengths; the byte picked and its flip are above 3,
 * and so are its neighbours, so the unit's framing stays.
 */
function tampered(fragment) {
  const copy = fragment.slice();
  const view = new DataView(copy.buffer);
  let at = 0;
  while (String.fromCharCode(...copy.subarray(at + 4, at + 8)) !== 'mdat') at += view.getUint32(at);
  const end = at + view.getUint32(at);
  for (let nal = at + 8; nal + 4 < end; nal += 4 + view.getUint32(nal)) {
    const len = view.getUint32(nal);
    const type = copy[nal + 4] & 0x1f;
    if (type !== 1 && type !== 5) continue;
    for (let i = nal + 4 + Math.floor(len / 2); i < nal + 4 + len - 1; i++) {
      if (copy[i] > 3 && (copy[i] ^ 0x50) > 3 && copy[i - 1] > 3 && copy[i + 1] > 3) {
        copy[i] ^= 0x50;
        return copy;
      }
    }
  }
  throw new Error('no slice byte to flip');
}

test('the demo\'s segments are one GOP of one-frame fragments, every sample kept, the init handed out once', () => {
  const f = homeFilter();
  assert.match(f.mimeType(), /^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
  let inits = 0;
  for (const [i, segment] of HOME.entries()) {
    assert.equal(fragments(segment).length, 30, `segment ${i}: 30 fragments`);
    const r = f.filter(segment);
    assert.deepEqual(summary(r), Array(30).fill('+'), `segment ${i}`);
    assert.equal(r.results[0].keyframe, true, 'a segment starts on a keyframe');
    assert.ok(r.results.slice(1).every((x) => !x.keyframe), 'and holds one');
    assert.equal(r.results[0].codec, 'h264');
    assert.ok(r.bytes instanceof Uint8Array && r.bytes.length > 0);
    if (r.init) inits += 1;
  }
  assert.equal(inits, 1, 'the init segment comes once, with the first keyframe');
  const stats = f.stats();
  assert.equal(stats.accepted, 90);
  assert.equal(stats.skippedUntilKeyframe, 0);
});

test('fragment by fragment (the WebSocket) keeps the same samples, in seq order, as whole segments (LL-HLS)', () => {
  const whole = homeFilter();
  const single = homeFilter();
  const seqs = [];
  for (const segment of HOME) {
    const a = whole.filter(segment).results.map((x) => x.seq);
    const b = fragments(segment).flatMap((fragment) => {
      const r = single.filter(fragment);
      assert.equal(r.results.length, 1);
      assert.ok(r.bytes, 'each kept one-frame fragment comes back');
      return r.results.map((x) => x.seq);
    });
    assert.deepEqual(b, a);
    seqs.push(...a);
  }
  assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), 'seq numbers every frame in decode order');
  assert.equal(single.stats().accepted, whole.stats().accepted);
});

test('the other home\'s segment is foreign-key and costs the linked home nothing', () => {
  const f = homeFilter();
  assert.deepEqual(summary(f.filter(HOME[0])), Array(30).fill('+'));
  const other = f.filter(fixture('nextdoor.m4s'));
  assert.deepEqual(summary(other), Array(30).fill('foreign-key'));
  assert.equal(other.bytes, null);
  // Its fragments one at a time between the home's own: each dropped, none costs a home frame.
  const home = fragments(HOME[1]);
  const theirs = fragments(fixture('nextdoor.m4s'));
  const got = home.flatMap((fragment, i) => [...summary(f.filter(theirs[i])), ...summary(f.filter(fragment))]);
  assert.deepEqual(got, home.flatMap(() => ['foreign-key', '+']));
  assert.equal(f.stats().dropped['foreign-key'], 60);
});

test('a missing fragment costs the rest of its GOP; a fragment sent again is replayed; a tampered one is bad-signature', () => {
  const f = homeFilter();
  const [first, second, third] = HOME.map(fragments);
  for (const fragment of first.slice(0, 10)) assert.deepEqual(summary(f.filter(fragment)), ['+']);
  // Fragment 10 is lost: 11..29 cannot be decoded without it.
  const after = first.slice(11).flatMap((fragment) => summary(f.filter(fragment)));
  assert.deepEqual(after, Array(19).fill('skipped-until-keyframe'));
  // The next keyframe starts a chain again.
  assert.deepEqual(summary(f.filter(second[0])), ['+']);
  assert.deepEqual(summary(f.filter(second[1])), ['+']);
  // An old one again, then a delta with a flipped slice byte, then its successor.
  assert.deepEqual(summary(f.filter(first[3])), ['replayed']);
  assert.deepEqual(summary(f.filter(tampered(second[2]))), ['bad-signature']);
  assert.deepEqual(summary(f.filter(second[3])), ['skipped-until-keyframe']);
  assert.deepEqual(summary(f.filter(third[0])), ['+']);
  const stats = f.stats();
  assert.equal(stats.dropped.replayed, 1);
  assert.equal(stats.dropped['bad-signature'], 1);
  assert.equal(stats.skippedUntilKeyframe, 20);
});
