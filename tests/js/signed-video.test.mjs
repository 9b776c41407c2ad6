// SignedVideoGate (frameseal/signed-video: pkg/signed-video/) in Node, on
// the Axis Signed Video / ONVIF Media Signing recordings of
// tests/fixtures/signed-video/, against what `frameseal verify
// --signed-video --json` says of the same files (the CLI is run through
// cargo: built already by the native stage, else built here).
//
// - the modified-frame file: every picture of the authentic GOPs is
//   released, in decode order, and nothing of the tampered GOP (pictures
//   124-185); the per-GOP verdicts and frame counts are the CLI's;
// - a linked key of another camera: every GOP is 'foreign-key', nothing
//   released; mark mode reports the same verdicts and releases everything;
// - the same access units pushed one by one (length-prefixed with the
//   avcC), and the recording as fragmented MP4 (ffmpeg -c copy, one
//   fragment per GOP, pushed segment by segment), give the same pictures
//   and verdicts as the whole file;
// - SignedVideoFragmentFilter (the MSE path): the media segments it writes
//   for a SourceBuffer, read back here box by box, hold exactly the
//   authentic pictures' samples with their own times, and a hole where
//   the tampered GOP was;
// - trust options, own properties only, and bad input with stable reasons.
//
// The Signed Video part has the modern build only: under FRAMESEAL_PKG
// (the WebAssembly 1.0 and JS builds, tests/js/use-build.mjs) it is skipped.
// Run: node --test tests/js/signed-video.test.mjs   (after ./build.sh build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

const OTHER_BUILD = process.env.FRAMESEAL_PKG
  ? `the Signed Video part has the modern build only (FRAMESEAL_PKG=${process.env.FRAMESEAL_PKG})`
  : false;
const ROOT = new URL('../../', import.meta.url);
const FIXTURES = new URL('tests/fixtures/signed-video/', ROOT);
const fixture = (name) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));

const TAMPERED = 'axis_signed_test_h264_modified_frame_137.mp4';
const AXIS = 'axis_signed_test_h264.mp4';
const ONVIF = 'onvif_test_signed_h264.mp4';
const JUNE_2025 = Date.UTC(2025, 5, 1);

let part;
async function gateClass() {
  if (!part) {
    part = await import('../../pkg/signed-video/frameseal_signed_video.js');
    part.initSync({ module: readFileSync(new URL('pkg/signed-video/frameseal_signed_video_bg.wasm', ROOT)) });
  }
  return part.SignedVideoGate;
}

/** `frameseal verify --signed-video --json [args] FILE`: the per-GOP lines and the summary. */
function cli(name, ...args) {
  const run = spawnSync('cargo', ['run', '-q', '-p', 'frameseal-cli', '--', 'verify', '--signed-video', '--json', ...args,
    path.join(new URL(FIXTURES).pathname, name)], { cwd: new URL(ROOT).pathname, encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.ok(run.status === 0 || run.status === 1, `the CLI failed on ${name}: ${run.stderr}`);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  return { gops: lines.filter((l) => 'gop' in l), summary: lines.at(-1) };
}

/** The CLI's fields of a gate's GOP report. */
const asCli = (r) => ({
  gop: r.gop, firstFrame: r.firstFrame, frames: r.frames, verdict: r.verdict, ...(r.reason ? { reason: r.reason } : {}),
});

/** The first PEM block of `label` in a fixture's bytes (the key an Axis stream carries). */
function pemIn(name, label) {
  const text = Buffer.from(fixture(name)).toString('latin1');
  const begin = text.indexOf(`-----BEGIN ${label}-----`);
  const endMarker = `-----END ${label}-----`;
  return text.slice(begin, text.indexOf(endMarker, begin) + endMarker.length);
}

test('the tampered GOP is never released and every picture of the authentic GOPs is, as the CLI counts them', { skip: OTHER_BUILD }, async () => {
  const SignedVideoGate = await gateClass();
  const expected = cli(TAMPERED);
  const gops = [];
  const out = SignedVideoGate.mp4(fixture(TAMPERED), { onGop: (r) => gops.push(r) });
  assert.deepEqual(out.reports.map(asCli), expected.gops);
  assert.deepEqual(gops, out.reports, 'onGop saw each report, in order');
  assert.deepEqual(expected.gops.map((g) => g.verdict), ['authentic', 'authentic', 'tampered', 'authentic', 'pending']);

  const released = out.pictures.map((p) => p.frame);
  for (const g of expected.gops) {
    const inGop = released.filter((f) => f >= g.firstFrame && f < g.firstFrame + g.frames).length;
    assert.equal(inGop, g.verdict === 'authentic' ? g.frames : 0, `GOP ${g.gop} (${g.verdict})`);
  }
  assert.ok(released.every((f, i) => i === 0 || f > released[i - 1]), 'in decode order');
  assert.ok(!released.some((f) => f >= 124 && f <= 185), 'nothing of pictures 124-185');
  // Per picture (the Axis hash list): only picture 137 was changed.
  const bad = out.reports.find((r) => r.verdict === 'tampered');
  assert.deepEqual([bad.checkedFrames, bad.tamperedFrames], [62, [137]]);
  for (const r of out.reports.filter((x) => x.verdict === 'authentic')) assert.deepEqual(r.tamperedFrames, []);
  assert.equal(out.reports.at(-1).checkedFrames, 0, 'a pending GOP has no per-picture verdicts');
  const authentic = expected.gops.filter((g) => g.verdict === 'authentic').reduce((n, g) => n + g.frames, 0);
  assert.equal(out.pictures.length, authentic);
  assert.equal(out.stats.released, authentic);
  assert.equal(out.stats.dropped.tampered, 62);
  assert.equal(out.stats.dropped.pending, expected.gops.at(-1).frames);
  assert.equal(out.stats.held, 0);
  assert.deepEqual(
    Object.entries(out.stats.gops).filter(([, n]) => n > 0),
    [['authentic', expected.summary.summary.authentic], ['tampered', 1], ['pending', 1]],
  );
  assert.equal(out.info.publicKeyFingerprint, expected.summary.publicKeyFingerprint);
  assert.equal(out.info.trust, 'in-stream-key-only');
  assert.equal(out.info.scheme, 'axis');

  // What a WebCodecs decoder needs.
  assert.equal(out.decoderConfig.codec, 'avc1.640029');
  assert.equal(out.decoderConfig.description[0], 1, 'an avcC record');
  assert.deepEqual([out.decoderConfig.codedWidth, out.decoderConfig.codedHeight], [480, 640]);
  const first = out.pictures[0];
  assert.equal(first.type, 'key');
  assert.ok(out.pictures.filter((p) => p.type === 'key').every((p) => p.frame % 62 === 0), 'keyframes start GOPs');
  assert.ok(out.pictures.every((p) => p.data instanceof Uint8Array && p.data.length > 0));
  assert.ok(out.pictures.at(-1).timestamp > 9_000_000, 'µs from the sample times');
});

test('mark mode releases every picture at once and reports the same verdicts', { skip: OTHER_BUILD }, async () => {
  const SignedVideoGate = await gateClass();
  const hold = SignedVideoGate.mp4(fixture(TAMPERED));
  const mark = SignedVideoGate.mp4(fixture(TAMPERED), { mode: 'mark' });
  assert.deepEqual(mark.reports, hold.reports);
  assert.equal(mark.pictures.length, 256);
  assert.deepEqual(mark.pictures.map((p) => p.frame), [...Array(256).keys()]);
  assert.equal(mark.stats.released, 256);
  assert.equal(Object.values(mark.stats.dropped).reduce((a, b) => a + b, 0), 0);
});

test('access units pushed one by one: held for a GOP, then the same pictures and verdicts', { skip: OTHER_BUILD }, async () => {
  const SignedVideoGate = await gateClass();
  const whole = SignedVideoGate.mp4(fixture(TAMPERED));
  const units = SignedVideoGate.mp4(fixture(TAMPERED), { mode: 'mark' });
  const gops = [];
  const gate = new SignedVideoGate({
    codec: 'h264', layout: 'avcc', config: units.decoderConfig.description, onGop: (r) => gops.push(r),
  });
  const released = [];
  let mostHeld = 0;
  for (const u of units.pictures) {
    released.push(...gate.push(u.data, { timestamp: u.timestamp, duration: u.duration }));
    mostHeld = Math.max(mostHeld, gate.stats().held);
  }
  assert.ok(mostHeld >= 62 && mostHeld <= 2 * 62 + 8, `held about one GOP (at most ${mostHeld})`);
  released.push(...gate.finish());
  assert.deepEqual(released.map((p) => p.frame), whole.pictures.map((p) => p.frame));
  assert.deepEqual(released.map((p) => p.timestamp), whole.pictures.map((p) => p.timestamp));
  assert.deepEqual(gops, whole.reports);
  assert.deepEqual(gate.reports(), whole.reports);
  assert.equal(gate.info().publicKeyFingerprint, whole.info.publicKeyFingerprint);
  assert.throws(() => gate.push(units.pictures[0].data), { reason: 'finished' });
});

/** `name` as fragmented MP4 (ffmpeg, samples copied): the init segment (ftyp + moov) and each moof + mdat. */
function fragmented(name) {
  const dir = mkdtempSync(path.join(tmpdir(), 'frameseal-sv-fmp4-'));
  const out = path.join(dir, 'fragmented.mp4');
  const run = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', path.join(new URL(FIXTURES).pathname, name), '-c', 'copy', '-an',
    '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', out], { encoding: 'utf8' });
  assert.equal(run.status, 0, `ffmpeg: ${run.stderr}`);
  const bytes = new Uint8Array(readFileSync(out));
  const boxes = [];
  for (let at = 0; at < bytes.length;) {
    const size = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
    boxes.push({ kind: Buffer.from(bytes.subarray(at + 4, at + 8)).toString('latin1'), bytes: bytes.subarray(at, at + size) });
    at += size;
  }
  const concat = (parts) => Uint8Array.from(Buffer.concat(parts.map((b) => b.bytes)));
  const moov = boxes.findIndex((b) => b.kind === 'moov');
  const segments = [];
  // Each moof with its mdat (ffmpeg ends the file with an mfra index).
  for (let i = moov + 1; i < boxes.length; i++) if (boxes[i].kind === 'moof') segments.push(concat(boxes.slice(i, i + 2)));
  return { init: concat(boxes.slice(0, moov + 1)), segments };
}

test('fragmented MP4, segment by segment: the same pictures and verdicts as the whole file', { skip: OTHER_BUILD }, async () => {
  const SignedVideoGate = await gateClass();
  const whole = SignedVideoGate.mp4(fixture(TAMPERED));
  const { init, segments } = fragmented(TAMPERED);
  assert.equal(segments.length, 5, 'one fragment per GOP');
  const gops = [];
  const gate = SignedVideoGate.fromInitSegment(init, { onGop: (r) => gops.push(r) });
  assert.equal(gate.decoderConfig().codec, whole.decoderConfig.codec);
  assert.deepEqual(gate.decoderConfig().description, whole.decoderConfig.description);
  const released = [];
  for (const segment of segments) released.push(...gate.pushFragment(segment));
  released.push(...gate.finish());
  assert.deepEqual(released.map((p) => p.frame), whole.pictures.map((p) => p.frame));
  assert.ok(released.every((p, i) => Buffer.from(p.data).equals(Buffer.from(whole.pictures[i].data))), 'the same bytes');
  assert.deepEqual(gops.map(asCli), whole.reports.map(asCli));
  assert.equal(gate.stats().malformed, 0);
  assert.ok(released.every((p, i) => i === 0 || p.timestamp > released[i - 1].timestamp), 'µs from the fragments');

  assert.equal(new SignedVideoGate({ codec: 'h264' }).decoderConfig(), null);
  assert.throws(() => new SignedVideoGate({ codec: 'h264' }).pushFragment(segments[0]), { reason: 'no-init-segment' });
  assert.throws(() => SignedVideoGate.fromInitSegment(segments[0]), { reason: 'bad-init-segment' });
  assert.throws(() => SignedVideoGate.fromInitSegment(init).pushFragment(init), { reason: 'bad-fragment' });
  assert.throws(() => SignedVideoGate.fromInitSegment(init, { codec: 'h264' }), { reason: 'bad-options' });
  const av1 = new Uint8Array(readFileSync(new URL('tests/fixtures/fmp4/av1_gop.mp4', ROOT)));
  const av1Init = av1.subarray(0, (() => { let at = 0; for (;;) { const size = new DataView(av1.buffer, av1.byteOffset + at).getUint32(0); const kind = Buffer.from(av1.subarray(at + 4, at + 8)).toString(); at += size; if (kind === 'moov') return at; } })());
  // AV1 tracks are read too (Axis signs AV1 in metadata OBUs); this one is
  // not signed, so its GOPs are unsigned and nothing is released.
  const av1Gate = SignedVideoGate.fromInitSegment(av1Init);
  assert.equal(av1Gate.info().codec, 'av1');
  const av1Released = [];
  for (let at = av1Init.length; at < av1.length;) {
    const view = new DataView(av1.buffer, av1.byteOffset + at);
    const size = view.getUint32(0);
    const kind = Buffer.from(av1.subarray(at + 4, at + 8)).toString();
    if (kind === 'moof') {
      let end = at + size;
      end += new DataView(av1.buffer, av1.byteOffset + end).getUint32(0); // its mdat
      av1Released.push(...av1Gate.pushFragment(av1.subarray(at, end)));
      at = end;
    } else {
      at += size;
    }
  }
  av1Released.push(...av1Gate.finish());
  assert.equal(av1Released.length, 0);
  assert.ok(av1Gate.reports().length > 0 && av1Gate.reports().every((r) => r.verdict === 'unsigned'));
});

/** The top-level boxes of `bytes`: { kind, start, end, body } (32-bit sizes, as written here). */
function topBoxes(bytes, from = 0, to = bytes.length) {
  const out = [];
  for (let at = from; at < to;) {
    const size = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
    assert.ok(size >= 8 && at + size <= to, `box at ${at}: size ${size}`);
    out.push({ kind: Buffer.from(bytes.subarray(at + 4, at + 8)).toString('latin1'), start: at, end: at + size, body: at + 8 });
    at += size;
  }
  return out;
}

/**
 * The samples of a media segment a SignedVideoFragmentFilter wrote: each
 * moof (mfhd, traf: tfhd, tfdt v1, one trun with every field) and its
 * mdat, read independently of the Rust parser. { bytes, decodeTime,
 * duration, flags, offset }.
 */
function writtenSamples(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const samples = [];
  const boxes = topBoxes(bytes);
  for (let i = 0; i < boxes.length; i += 2) {
    const [moof, mdat] = [boxes[i], boxes[i + 1]];
    assert.deepEqual([moof.kind, mdat?.kind], ['moof', 'mdat']);
    const [mfhd, traf] = topBoxes(bytes, moof.body, moof.end);
    assert.deepEqual([mfhd.kind, traf.kind], ['mfhd', 'traf']);
    const [tfhd, tfdt, trun] = topBoxes(bytes, traf.body, traf.end);
    assert.deepEqual([tfhd.kind, tfdt.kind, trun.kind], ['tfhd', 'tfdt', 'trun']);
    assert.equal(view.getUint32(tfhd.body) & 0x20000, 0x20000, 'default-base-is-moof');
    let decodeTime = Number(view.getBigUint64(tfdt.body + 4));
    assert.equal(view.getUint32(trun.body) & 0xffffff, 0xf01);
    const n = view.getUint32(trun.body + 4);
    let offset = moof.start + view.getInt32(trun.body + 8);
    assert.equal(offset, mdat.body, 'the data starts at the mdat');
    for (let k = 0; k < n; k++) {
      const e = trun.body + 12 + 16 * k;
      const [duration, size, flags, cto] = [view.getUint32(e), view.getUint32(e + 4), view.getUint32(e + 8), view.getInt32(e + 12)];
      samples.push({ bytes: bytes.subarray(offset, offset + size), decodeTime, duration, flags, cto });
      offset += size;
      decodeTime += duration;
    }
    assert.equal(offset, mdat.end, 'the mdat holds the run exactly');
  }
  return samples;
}

test('SignedVideoFragmentFilter: the segments written for a SourceBuffer hold the authentic pictures only, with their times', { skip: OTHER_BUILD }, async () => {
  await gateClass();
  const { SignedVideoFragmentFilter, SignedVideoGate } = part;
  const { init, segments } = fragmented(TAMPERED);
  // What the same fragments give through SignedVideoGate: the released
  // pictures' bytes and µs times.
  const gate = SignedVideoGate.fromInitSegment(init);
  const expected = [];
  for (const segment of segments) expected.push(...gate.pushFragment(segment));
  expected.push(...gate.finish());
  const authentic = Array.from({ length: 248 }, (_, f) => f).filter((f) => f < 124 || f > 185);
  assert.deepEqual(expected.map((p) => p.frame), authentic);

  const gops = [];
  const filter = new SignedVideoFragmentFilter({ onGop: (r) => gops.push(r) });
  assert.equal(filter.mimeType, null);
  assert.equal(filter.info(), null);
  const outputs = [filter.filter(init)];
  assert.ok(outputs[0].init instanceof Uint8Array, 'the cleaned init segment, at once');
  assert.equal(outputs[0].bytes, null);
  assert.match(filter.mimeType, /^video\/mp4; codecs="avc1\.[0-9a-f]{6}"$/);
  for (const segment of segments) outputs.push(filter.filter(segment));
  outputs.push(filter.finish());
  assert.ok(outputs.slice(1).every((o) => o.init === null), 'the init segment handed out once');
  assert.deepEqual(outputs.flatMap((o) => o.reports), gops);
  assert.deepEqual(gops.map((r) => [r.firstFrame, r.frames, r.verdict]),
    [[0, 62, 'authentic'], [62, 62, 'authentic'], [124, 62, 'tampered'], [186, 62, 'authentic'], [248, 8, 'pending']]);

  const pictures = outputs.flatMap((o) => o.pictures);
  const written = outputs.filter((o) => o.bytes).flatMap((o) => writtenSamples(o.bytes));
  assert.equal(written.length, pictures.length);
  assert.deepEqual(pictures.map((p) => p.frame), authentic, 'every authentic picture, in decode order');
  assert.ok(written.every((s, i) => Buffer.from(s.bytes).equals(Buffer.from(expected[i].data))), 'the same bytes');
  assert.deepEqual(pictures.map((p) => [p.timestamp, p.duration, p.type]),
    expected.map((p) => [p.timestamp, p.duration, p.type]), 'the same µs times');
  // Times in the track's timescale, as they came: the written decode
  // times continue within a GOP and jump over the tampered one.
  const timescale = (() => {
    const at = Buffer.from(outputs[0].init).indexOf('mdhd') + 4;
    return new DataView(outputs[0].init.buffer, outputs[0].init.byteOffset).getUint32(at + 12);
  })();
  assert.ok(written.every((s, i) => Math.floor((s.decodeTime + s.cto) * 1e6 / timescale) === expected[i].timestamp));
  const jumps = written.flatMap((s, i) => (i > 0 && s.decodeTime !== written[i - 1].decodeTime + written[i - 1].duration ? [i] : []));
  assert.deepEqual(jumps, [124], 'one hole: the tampered GOP');
  assert.deepEqual(written.flatMap((s, i) => ((s.flags & 0x10000) === 0 ? [i] : [])), [0, 62, 124], 'sync samples: the GOPs\' first');
  const stats = filter.stats();
  assert.equal(stats.appended, 186);
  assert.equal(stats.dropped.tampered, 62);
  assert.equal(stats.dropped.pending, 8);
  assert.equal(filter.info().scheme, 'axis');

  // The same init segment again changes nothing; another is refused, as
  // are media before an init segment and a finished filter's segments.
  assert.equal(filter.filter(init).init, null);
  const other = fragmented(AXIS).init;
  const again = new SignedVideoFragmentFilter();
  assert.throws(() => again.filter(segments[0]), { reason: 'no-init-segment' });
  assert.throws(() => again.filter(segments[0].subarray(0, 100)), { reason: 'no-init-segment' });
  again.filter(init);
  if (!Buffer.from(other).equals(Buffer.from(init))) assert.throws(() => again.filter(other), { reason: 'init-changed' });
  assert.throws(() => again.filter(init.subarray(0, init.length - 1)), { reason: 'init-changed' });
  assert.throws(() => new SignedVideoFragmentFilter().filter(init.subarray(0, 40)), { reason: 'bad-init-segment' });
  assert.throws(() => again.filter(segments[0].subarray(0, segments[0].length - 1)), { reason: 'bad-fragment' });
  assert.throws(() => filter.filter(segments[0]), { reason: 'finished' });
  assert.throws(() => new SignedVideoFragmentFilter({ modee: 'mark' }), { reason: 'bad-options' });
  // The init segment and the first media segment in one buffer (as
  // go2rtc's first binary message may be): the init handed out, the
  // samples taken.
  const joined = new SignedVideoFragmentFilter({ mode: 'mark' });
  const first = joined.filter(Uint8Array.from(Buffer.concat([init, segments[0]])));
  assert.ok(first.init instanceof Uint8Array && first.bytes instanceof Uint8Array);
  assert.deepEqual(first.pictures.map((p) => p.frame), Array.from({ length: 62 }, (_, f) => f));
  // Mark mode: every picture at once.
  const mark = new SignedVideoFragmentFilter({ mode: 'mark' });
  let marked = mark.filter(init).pictures.length;
  for (const segment of segments) marked += mark.filter(segment).pictures.length;
  assert.equal(marked, 256);
});

test('a linked key of another camera makes every GOP foreign-key and releases nothing', { skip: OTHER_BUILD }, async () => {
  const SignedVideoGate = await gateClass();
  const pem = pemIn(AXIS, 'PUBLIC KEY');
  const dir = mkdtempSync(path.join(tmpdir(), 'frameseal-sv-'));
  const pemFile = path.join(dir, 'axis.pub.pem');
  writeFileSync(pemFile, pem);
  const expected = cli(ONVIF, '--trust-key', pemFile);
  assert.ok(expected.gops.every((g) => g.verdict === 'foreign-key'));
  const der = Uint8Array.from(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
  for (const trustKey of [pem, der]) {
    const out = SignedVideoGate.mp4(fixture(ONVIF), { trustKey });
    assert.deepEqual(out.reports.map(asCli), expected.gops);
    assert.equal(out.pictures.length, 0);
    assert.equal(out.stats.dropped['foreign-key'], expected.gops.reduce((n, g) => n + g.frames, 0));
    assert.equal(out.info.trust, 'key');
    const mark = SignedVideoGate.mp4(fixture(ONVIF), { trustKey, mode: 'mark' });
    assert.deepEqual(mark.reports, out.reports);
    assert.equal(mark.pictures.length, expected.gops.reduce((n, g) => n + g.frames, 0));
  }
  // The stream's own key, linked: every GOP authentic.
  const own = SignedVideoGate.mp4(fixture(AXIS), { trustKey: pem });
  assert.deepEqual(own.reports.map((r) => r.verdict), cli(AXIS).gops.map((g) => g.verdict));
  assert.ok(own.reports.every((r) => r.verdict === 'authentic'));
});

test('a linked CA: authentic while the chain is valid, expiry reported as such, not as tampering', { skip: OTHER_BUILD }, async () => {
  const SignedVideoGate = await gateClass();
  const trustCa = readFileSync(new URL('onvif_ca.pem', FIXTURES), 'utf8');
  const june = SignedVideoGate.mp4(fixture(ONVIF), { trustCa, at: JUNE_2025 });
  assert.ok(june.reports.every((r) => r.verdict === 'authentic'));
  assert.equal(june.info.trust, 'ca');
  assert.equal(june.info.trustError, null);
  const later = SignedVideoGate.mp4(fixture(ONVIF), { trustCa, at: Date.UTC(2026, 11, 1) });
  assert.ok(later.reports.every((r) => r.verdict === 'authentic'));
  assert.equal(later.info.trustError.reason, 'expired');
  // The Axis stream's key has no chain to the ONVIF CA.
  const axis = SignedVideoGate.mp4(fixture(AXIS), { trustCa, at: JUNE_2025 });
  assert.ok(axis.reports.every((r) => r.verdict === 'foreign-key'));
  assert.equal(axis.pictures.length, 0);
});

test('options are own properties only; bad input throws with a stable reason', { skip: OTHER_BUILD }, async () => {
  const SignedVideoGate = await gateClass();
  Object.prototype.mode = 'mark';
  Object.prototype.trustKey = 'not a key';
  try {
    const out = SignedVideoGate.mp4(fixture(TAMPERED), {});
    assert.equal(out.stats.dropped.tampered, 62, 'an inherited mode is never read');
  } finally {
    delete Object.prototype.mode;
    delete Object.prototype.trustKey;
  }
  const cases = [
    [() => new SignedVideoGate({ codec: 'h264', modee: 'mark' }), 'bad-options'],
    [() => new SignedVideoGate({ codec: 'vp8' }), 'bad-options'],
    [() => new SignedVideoGate(), 'bad-options'],
    [() => new SignedVideoGate({ codec: 'h264', mode: 'later' }), 'bad-options'],
    [() => new SignedVideoGate({ codec: 'h264', layout: 'avcc', nalLengthSize: 3 }), 'bad-length-size'],
    [() => new SignedVideoGate({ codec: 'h264', trustKey: 'not a key' }), 'bad-trust-key'],
    [() => new SignedVideoGate({ codec: 'h264', trustKey: new Uint8Array(8) }), 'bad-trust-key'],
    [() => new SignedVideoGate({ codec: 'h264', trustCa: 'not a certificate' }), 'bad-trust-ca'],
    [() => new SignedVideoGate({ codec: 'h264', trustKey: pemIn(AXIS, 'PUBLIC KEY'), trustCa: 'x' }), 'bad-options'],
    [() => new SignedVideoGate({ codec: 'h264', at: Number.NaN }), 'bad-options'],
    [() => SignedVideoGate.mp4(new Uint8Array(16)), 'not-mp4'],
    [() => SignedVideoGate.mp4(fixture(TAMPERED).slice(0, 4096)), 'bad-mp4'],
    [() => SignedVideoGate.mp4('file'), 'bad-argument'],
    [() => SignedVideoGate.mp4(fixture(TAMPERED), { codec: 'h264' }), 'bad-options'],
  ];
  for (const [call, reason] of cases) assert.throws(call, (e) => e instanceof Error && e.reason === reason, `${call}`);
  const gate = new SignedVideoGate({ codec: 'h264', layout: 'avcc' });
  assert.throws(() => gate.push(new Uint8Array([0, 0, 0, 9, 0x65])), { reason: 'malformed-unit' });
  assert.throws(() => gate.push(new Uint8Array([0, 0, 0, 1, 0x65]), { timestamp: 'now' }), { reason: 'bad-options' });
  const annexb = new SignedVideoGate({ codec: 'h264' });
  assert.throws(() => annexb.push(new Uint8Array([0x65, 1, 2])), { reason: 'malformed-unit' });
  assert.deepEqual(annexb.push(new Uint8Array([0, 0, 0, 1, 0x65, 0x88, 0x84])), [], 'held');
  assert.equal(annexb.stats().held, 1);
  // onGop runs once the call that completed the GOP is done: it may push
  // into its own gate (nothing is borrowed then).
  let inner;
  const reentrant = new SignedVideoGate({
    codec: 'h264',
    onGop: () => { try { reentrant.push(new Uint8Array([0, 0, 0, 1, 0x41, 0x9a])); } catch (e) { inner = e; } },
  });
  for (let i = 0; i < 4; i++) {
    reentrant.push(new Uint8Array([0, 0, 0, 1, 0x65, 0x88, 0x84]));
    reentrant.push(new Uint8Array([0, 0, 0, 1, 0x41, 0x9a, 0x02]));
  }
  assert.equal(inner, undefined, 'onGop runs after the call is done: pushing from it works');
  reentrant.finish();
  assert.equal(reentrant.stats().gops.unsigned, 4);
  // One GOP was reported before finish() (two GOPs late, as the validator
  // decides unsigned ones): its callback's picture is counted; the three
  // reported by finish() found the gate finished.
  assert.equal(reentrant.reports().reduce((n, r) => n + r.frames, 0), 8 + 1);
  assert.equal(inner?.reason, 'finished');
});

/** The temporal units of a low-overhead AV1 OBU stream: cut before each temporal delimiter (OBU type 2). */
function temporalUnits(bytes) {
  const units = [];
  let start = 0;
  for (let at = 0; at < bytes.length;) {
    const header = bytes[at];
    assert.ok(header & 2, `OBU at ${at} has a size field`);
    let p = at + 1 + ((header & 4) ? 1 : 0);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[p++];
      size += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) break;
    }
    if (((header >> 3) & 15) === 2 && at > start) {
      units.push(bytes.subarray(start, at));
      start = at;
    }
    at = p + size;
  }
  units.push(bytes.subarray(start));
  return units;
}

test('AV1 temporal units: the tampered GOP is held back, the authentic ones released, as the CLI judges them', { skip: OTHER_BUILD }, async () => {
  const SignedVideoGate = await gateClass();
  for (const name of ['frameseal_signed_av1.obu', 'frameseal_signed_av1_modified_frame_21.obu']) {
    const expected = cli(name);
    const gops = [];
    const gate = new SignedVideoGate({ codec: 'av1', onGop: (r) => gops.push(r) });
    const released = [];
    for (const [i, unit] of temporalUnits(fixture(name)).entries()) {
      released.push(...gate.push(unit, { timestamp: i * 33_333 }));
    }
    released.push(...gate.finish());
    assert.deepEqual(gops.map(asCli), expected.gops, name);
    assert.equal(gate.info().codec, 'av1');
    const authentic = expected.gops.filter((g) => g.verdict === 'authentic');
    const shouldShow = authentic.flatMap((g) => Array.from({ length: g.frames }, (_, k) => g.firstFrame + k));
    assert.deepEqual(released.map((p) => p.frame), shouldShow, `${name}: exactly the authentic GOPs' pictures`);
    if (name.includes('modified')) {
      assert.ok(expected.gops.some((g) => g.verdict === 'tampered'), 'the CLI finds a tampered GOP');
      assert.ok(shouldShow.length < 64, 'something is held back');
    }
  }
  assert.throws(() => new SignedVideoGate({ codec: 'av1', layout: 'avcc' }), { reason: 'bad-options' });
});
