// End to end: in-band carriage through the WebRTC workers (pkg/webrtc/,
// `carriage: 'in-band'`) between two RTCPeerConnections in one headless
// Chromium page, over loopback, negotiating H.264.
//
// The camera side sends a canvas captureStream() of a solid green picture
// (a small square moves in a corner) through the sender worker, which puts a
// seal into every encoded access unit (an SEI NAL unit, SPEC §6.3); the
// stream stays H.264, so WebRTC's H.264 packetizer carries it. The display
// side puts the receiver worker in front of its decoder. Asserted:
// - linked to the camera's key, the <video> presents the camera's picture,
//   and every unit is accepted;
// - a sender with another key (a foreign camera): foreign-key drops only,
//   nothing accepted, nothing decoded;
// - a sender without the worker (plain H.264): unsigned drops only, nothing
//   decoded;
// - a relay that alters a slice byte after sealing: bad-signature drops only,
//   nothing decoded;
// - a relay that loses one delta unit after sealing: the receiver skips the
//   deltas after the gap (the reference-chain rule), asks the camera for a
//   keyframe (RTCRtpScriptTransformer.sendKeyFrameRequest), and the picture
//   goes on from that keyframe;
// - AV1 (the seal in a metadata OBU): the right key shows the picture, a
//   foreign camera nothing;
// - VP8 has no in-band carriage: an in-band sender sends nothing (and warns),
//   an in-band receiver passes none of an envelope sender's frames;
// - through a stand-in for createEncodedStreams(), with units that Chromium's
//   encoder made and the sender worker sealed: the configure checks, the
//   chain rule unit by unit, and a delta unit with a parameter set inserted
//   goes to the decoder without it;
// - H.265 (this Chromium has no H.265 for WebRTC) and AV1 units from the
//   repository's fixtures (x265, libaom), sealed in the page: a delta unit
//   with the camera's parameter sets / sequence header repeated by a relay
//   goes to the decoder without them.
// The relays are a main-thread TransformStream between the sender worker and
// the network (createEncodedStreams() on the camera's RTCPeerConnection).
//
// Chromium only: its RTCRtpScriptTransform hands H.264 encoded frames over
// as Annex B access units (AV1 as OBUs) and lets a receiver's transformer
// ask for a keyframe (sendKeyFrameRequest). Firefox's encoded transform is
// not the same (no createEncodedStreams() for the relays here, and its
// frames are not checked to be Annex B), so it is not run. The envelope
// carriage is tested in webrtc.test.mjs.
//
// Needs pkg/ built by ./build.sh build (FRAMESEAL_PKG overrides) and Debian's
// chromium. Run: node --test tests/e2e/webrtc-inband.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ROOT } from './demo-server.mjs';
import { CALL_PATH, assertGreen, inPage as inPageOf, openCallPage } from './webrtc-page.mjs';
/** How long a display that must show nothing is watched, at least. */
const WATCH_MS = 5000;
/** Drops the receiver must have counted before a "shows nothing" call ends, and how much longer it may wait for them. */
const MIN_DROPPED = 25;
const EVIDENCE_TIMEOUT_MS = 30000;
/** How long a display linked to the right key may take to present the frames wanted. */
const PICTURE_TIMEOUT_MS = 30000;
/** The sealed unit a lossy relay loses (a delta, well after the first keyframe). */
const LOST_UNIT = 40;

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>frameseal WebRTC in-band test</title>
<body>
<script type="module">
import init, { Signer } from '/pkg/frameseal.js';
import { createSenderWorker, createReceiverWorker, configure, protect, request, workerStats, inBandCodecs }
  from '/pkg/webrtc/index.js';
import { camera, peers, negotiate, display, watch, hangUp } from '${CALL_PATH}';

await init();
const keyOf = (seed) => new Uint8Array(32).fill(seed);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** NAL units of an Annex B unit: [{ at, end, type }] (at: first byte after the start code). */
const nalUnits = (bytes) => {
  const starts = [];
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) { starts.push(i + 3); i += 2; }
  }
  return starts.map((at, k) => {
    let end = k + 1 < starts.length ? starts[k + 1] - 3 : bytes.length;
    while (end > at && bytes[end - 1] === 0) end--;
    return { at, end, type: bytes[at] & 0x1f };
  });
};

// Relays between the sender worker and the network: (bytes, index) -> bytes
// to send on, or null to lose the unit.
const RELAYS = {
  // Alters one byte of the unit's last slice, after its header and before
  // its last byte, from the middle on: a byte of 4 or more stays one (no
  // start code, no emulation prevention, the same content length).
  tamper: (bytes) => {
    const slices = nalUnits(bytes).filter((n) => n.type >= 1 && n.type <= 5);
    const last = slices[slices.length - 1];
    const middle = last.at + 1 + Math.floor((last.end - last.at - 2) / 2);
    for (let k = 0; k < last.end - last.at - 2; k++) {
      const i = last.at + 1 + ((middle - last.at - 1 + k) % (last.end - last.at - 2));
      if (bytes[i] >= 4) { bytes[i] = bytes[i] >= 0x80 ? bytes[i] ^ 1 : bytes[i] | 0x80; return bytes; }
    }
    throw new Error('no byte to alter in the last slice');
  },
  lose: (bytes, index) => (index === ${LOST_UNIT} ? null : bytes),
};

// One call: camera (seed cameraSeed; sender: 'sealed' | 'plain', relay: a
// RELAYS name or none) -> display linked to linkedSeed's key, in-band.
window.call = async ({ codec = 'h264', cameraSeed, linkedSeed, sender = 'sealed', senderCarriage = 'in-band', relay = null,
  watchMs, untilPresented, presentedAfterRelay, minDropped, capture = 0 }) => {
  const wanted = RTCRtpSender.getCapabilities('video').codecs.filter((c) => c.mimeType.toLowerCase() === 'video/' + codec);
  if (wanted.length === 0) return { skip: 'this browser has no ' + codec + ' for WebRTC' };
  const inBand = inBandCodecs().map((c) => c.mimeType.toLowerCase());

  const source = camera();
  const { pc1, pc2 } = peers(relay ? { encodedInsertableStreams: true } : {});
  const senderWorker = createSenderWorker();
  const receiverWorker = createReceiverWorker();
  const warnings = [];
  for (const w of [senderWorker, receiverWorker]) {
    w.addEventListener('message', (e) => { if (e.data.type === 'warning') warnings.push(e.data.message); });
  }
  await configure(senderWorker, { secretKey: keyOf(cameraSeed), carriage: senderCarriage });
  await configure(receiverWorker, { linkedPublicKey: new Signer(keyOf(linkedSeed)).publicKey, carriage: 'in-band' });

  const transceiver = pc1.addTransceiver(source.track, { direction: 'sendonly', streams: [source.stream] });
  transceiver.setCodecPreferences(wanted);
  const { video, presented } = display();

  // The relay: sender worker -> main thread -> network.
  const relayed = { units: 0, presentedAt: null, captured: [] };
  if (sender === 'sealed' && relay) {
    const { readable, writable } = transceiver.sender.createEncodedStreams();
    const middle = new TransformStream();
    await protect({ createEncodedStreams: () => ({ readable, writable: middle.writable }) }, senderWorker,
      { name: 'video', mode: 'encoded-streams' });
    const alter = RELAYS[relay];
    middle.readable.pipeThrough(new TransformStream({
      transform(frame, controller) {
        const index = relayed.units++;
        const bytes = new Uint8Array(frame.data);
        if (relayed.captured.length < capture) relayed.captured.push({ type: frame.type, bytes: Array.from(bytes) });
        const out = alter(bytes.slice(), index);
        if (out === null) {
          relayed.presentedAt = presented();
          return;
        }
        frame.data = out.buffer;
        controller.enqueue(frame);
      },
    })).pipeTo(writable).catch(() => {});
  } else if (sender === 'sealed') {
    await protect(transceiver.sender, senderWorker, { name: 'video', mode: 'script-transform' });
  }

  const receiving = new Promise((resolve) => {
    pc2.ontrack = (e) => {
      resolve(protect(e.receiver, receiverWorker, { name: 'video', mode: 'script-transform' }));
      video.srcObject = new MediaStream([e.track]);
      video.play().catch(() => {});
    };
  });
  await negotiate(pc1, pc2);
  await receiving;

  // Until the pictures wanted are presented (and the units wanted captured),
  // or for watchMs and on until the receiver has dropped minDropped units.
  const dropped = async () => Object.values((await workerStats(receiverWorker)).video?.dropped ?? {}).reduce((a, b) => a + b, 0);
  const waitedMs = await watch({
    watchMs,
    evidenceMs: ${EVIDENCE_TIMEOUT_MS},
    done: () => Boolean(untilPresented) && presented() >= untilPresented && relayed.captured.length >= capture
      && (!presentedAfterRelay || (relayed.presentedAt !== null && presented() >= relayed.presentedAt + presentedAfterRelay)),
    enough: minDropped ? async () => (await dropped()) >= minDropped : null,
  });

  return {
    inBand, waitedMs, warnings,
    relayed: { units: relayed.units, presentedAt: relayed.presentedAt },
    captured: relayed.captured,
    ...(await hangUp({ source, pc1, pc2, video, presented, senderWorker, receiverWorker, workerStats })),
  };
};

// The receiver worker without WebRTC: units pushed through a stand-in for
// createEncodedStreams() (its chunks carry no MIME type: the configured
// codec applies), each answered by what came out, if anything.
// Units sealed here, by one Signer (one stream, seq 0, 1, ...).
window.seal = async ({ codec, layout, units, cameraSeed }) => {
  const signer = new Signer(keyOf(cameraSeed));
  return units.map(({ bytes, keyframe }) => Array.from(signer.sealUnit(new Uint8Array(bytes), { codec, layout, keyframe })));
};
window.direct = async ({ units, cameraSeed, build, codec = 'h264' }) => {
  const receiver = createReceiverWorker({ build });
  const refused = async (config) => {
    try { await configure(receiver, config); return null; } catch (e) { return e.message; }
  };
  const key = new Signer(keyOf(cameraSeed)).publicKey;
  const sender = createSenderWorker();
  const errors = {
    senderCarriage: await (async () => {
      try { await configure(sender, { secretKey: keyOf(cameraSeed), carriage: 'in band' }); return null; } catch (e) { return e.message; }
    })(),
    carriage: await refused({ linkedPublicKey: key, carriage: 'inband' }),
    carriageType: await refused({ linkedPublicKey: key, carriage: 1 }),
    codec: await refused({ linkedPublicKey: key, carriage: 'in-band', codec: 'vp8' }),
    codecEnvelope: await refused({ linkedPublicKey: key, codec: 'h264' }),
    unknownField: await refused({ linkedPublicKey: key, carriage: 'in-band', layout: 'annexb' }),
  };
  sender.terminate();
  const inherited = await (async () => {
    // A carriage on Object.prototype is not the configuration's.
    Object.prototype.carriage = 'in-band';
    try { return await refused({ linkedPublicKey: key, codec: 'h264' }); } finally { delete Object.prototype.carriage; }
  })();
  // The units may be older than the default maxAgeMs by now (sealed in an earlier call).
  const configured = await request(receiver, { type: 'configure', linkedPublicKey: key, carriage: 'in-band', codec,
    options: { maxAgeMs: null } });
  const input = new TransformStream();
  const output = new TransformStream();
  const fake = { createEncodedStreams: () => ({ readable: input.readable, writable: output.writable }) };
  await protect(fake, receiver, { name: 'direct', mode: 'encoded-streams' });
  const writer = input.writable.getWriter();
  const reader = output.readable.getReader();
  const stats = async () => (await workerStats(receiver)).direct;
  // Units the worker has judged so far (no counts at all before the first).
  const seen = async () => {
    const s = await stats();
    return (s.passed ?? 0) + (s.skippedUntilKeyframe ?? 0) + (s.codecMismatch ?? 0) + s.errors
      + Object.values(s.dropped ?? {}).reduce((a, b) => a + b, 0);
  };
  // Each unit: what came out of the worker (its bytes), or null.
  const outcomes = [];
  for (const bytes of units) {
    const before = await seen();
    await writer.write({ data: new Uint8Array(bytes).buffer });
    while ((await seen()) === before) await sleep(5);
    const s = await stats();
    outcomes.push(s.passed > outcomes.filter((o) => o !== null).length
      ? Array.from(new Uint8Array((await reader.read()).value.data)) : null);
  }
  const counts = await stats();
  await writer.close();
  receiver.terminate();
  return { build: configured.build, errors, inherited, outcomes, counts };
};
window.ready = true;
</script>
`;

let opened;

before(async () => {
  opened = await openCallPage(PAGE);
});

after(async () => {
  await opened?.close();
});

/** Runs the page's `fn(options)` in a fresh page. */
const inPage = (fn, options) => inPageOf(opened.browser, opened.origin, fn, options);

const summary = (r) => JSON.stringify({
  codec: r.negotiated, presented: r.presented, size: `${r.videoWidth}x${r.videoHeight}`, pixel: r.pixel,
  framesSent: r.framesSent, keyFramesEncoded: r.keyFramesEncoded, pliReceived: r.pliReceived,
  framesDecoded: r.framesDecoded, keyFramesDecoded: r.keyFramesDecoded, relayed: r.relayed,
  sender: r.sender?.video, receiver: r.receiver?.video, waitedMs: r.waitedMs, warnings: r.warnings,
  pageErrors: r.pageErrors,
});


function assertShowsNothing(r, reason, codec = 'video/H264') {
  assert.equal(r.negotiated, codec, summary(r));
  assert.equal(r.presented, 0, `the <video> presented a frame: ${summary(r)}`);
  assert.equal(r.framesDecoded, 0, `a frame reached the decoder: ${summary(r)}`);
  assert.equal(r.videoWidth, 0, `the <video> knows a picture size: ${summary(r)}`);
  const rx = r.receiver.video;
  assert.equal(rx.accepted, 0, summary(r));
  assert.equal(rx.passed, 0, summary(r));
  assert.ok(rx.dropped[reason] >= MIN_DROPPED, `expected many ${reason} drops: ${summary(r)}`);
  for (const [other, n] of Object.entries(rx.dropped)) if (other !== reason) assert.equal(n, 0, `${other} drops: ${summary(r)}`);
  assert.equal(rx.codecMismatch, 0, summary(r));
  assert.equal(rx.errors, 0, summary(r));
  // Every drop asks for a keyframe, at most once a second.
  assert.ok(rx.keyFrameRequests >= 2, `the receiver asked for no keyframe: ${summary(r)}`);
  assert.deepEqual(r.pageErrors, []);
}

const CAMERA = 7;
const STRANGER = 9;

test('in-band H.264: a display linked to the camera\'s key shows the camera\'s picture, every unit accepted', async (t) => {
  const r = await inPage('call', { cameraSeed: CAMERA, linkedSeed: CAMERA, watchMs: PICTURE_TIMEOUT_MS, untilPresented: 30 });
  if (r.skip) return t.skip(r.skip);
  console.log(`# right key: ${summary(r)}`);
  assert.equal(r.negotiated, 'video/H264');
  assert.ok(r.presented >= 30, `the <video> presented too little: ${summary(r)}`);
  assert.ok(r.framesDecoded >= 30, summary(r));
  assert.equal(r.videoWidth, 320, summary(r));
  assertGreen(r, summary(r));
  const tx = r.sender.video;
  assert.ok(tx.signed >= 30 && tx.keyframes >= 1, summary(r));
  assert.deepEqual([tx.unsupportedCodec, tx.errors, tx.notConfigured], [0, 0, 0], summary(r));
  const rx = r.receiver.video;
  assert.ok(rx.accepted >= 30 && rx.passed === rx.accepted, `receiver worker: ${summary(r)}`);
  for (const [reason, n] of Object.entries(rx.dropped)) assert.equal(n, 0, `${reason} drops: ${summary(r)}`);
  assert.ok('unsigned' in rx.dropped, 'the stats count unsigned units');
  assert.deepEqual([rx.skippedUntilKeyframe, rx.codecMismatch, rx.errors, rx.rotations], [0, 0, 0, 0], summary(r));
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.pageErrors, []);
});

test('in-band H.264: a camera with another key (a foreign camera) is dropped as foreign-key, nothing decoded', async (t) => {
  const r = await inPage('call', { cameraSeed: STRANGER, linkedSeed: CAMERA, watchMs: WATCH_MS, minDropped: MIN_DROPPED });
  if (r.skip) return t.skip(r.skip);
  console.log(`# foreign camera: ${summary(r)}`);
  assert.ok(r.sender.video.signed >= MIN_DROPPED, summary(r));
  assertShowsNothing(r, 'foreign-key');
});

test('in-band H.264: a sender without the worker (plain H.264) is dropped as unsigned, nothing decoded', async (t) => {
  const r = await inPage('call', { cameraSeed: CAMERA, linkedSeed: CAMERA, sender: 'plain', watchMs: WATCH_MS, minDropped: MIN_DROPPED });
  if (r.skip) return t.skip(r.skip);
  console.log(`# plain sender: ${summary(r)}`);
  assert.deepEqual(r.sender, {}, 'the sender worker saw no frame');
  assertShowsNothing(r, 'unsigned');
});

test('in-band H.264: a relay that alters a slice after sealing is dropped as bad-signature, nothing decoded', async (t) => {
  const r = await inPage('call', { cameraSeed: CAMERA, linkedSeed: CAMERA, relay: 'tamper', watchMs: WATCH_MS, minDropped: MIN_DROPPED });
  if (r.skip) return t.skip(r.skip);
  console.log(`# tampering relay: ${summary(r)}`);
  assert.ok(r.relayed.units >= MIN_DROPPED, summary(r));
  assertShowsNothing(r, 'bad-signature');
});

let lossyUnits = null;

test('in-band H.264: after a lost unit the receiver skips to a keyframe it asks for, and the picture goes on', async (t) => {
  const r = await inPage('call', { cameraSeed: CAMERA, linkedSeed: CAMERA, relay: 'lose', watchMs: PICTURE_TIMEOUT_MS,
    untilPresented: 10, presentedAfterRelay: 30, capture: LOST_UNIT + 30 });
  if (r.skip) return t.skip(r.skip);
  console.log(`# lossy relay: ${summary(r)}`);
  assert.equal(r.negotiated, 'video/H264');
  assert.notEqual(r.relayed.presentedAt, null, `the relay never lost unit ${LOST_UNIT}: ${summary(r)}`);
  assert.ok(r.presented >= r.relayed.presentedAt + 30, `the picture did not go on after the loss: ${summary(r)}`);
  assertGreen(r, summary(r));
  const rx = r.receiver.video;
  for (const [reason, n] of Object.entries(rx.dropped)) assert.equal(n, 0, `${reason} drops: ${summary(r)}`);
  // The deltas after the gap wait for a keyframe (at least the one right after it).
  assert.ok(rx.skippedUntilKeyframe >= 1, `nothing was skipped after the gap: ${summary(r)}`);
  assert.ok(rx.keyFrameRequests >= 1, `the receiver asked for no keyframe: ${summary(r)}`);
  const keyframes = r.captured.map((unit, i) => (unit.type === 'key' ? i : -1)).filter((i) => i >= 0);
  assert.ok(keyframes.some((i) => i > LOST_UNIT), `the camera sent no keyframe after the gap (keyframes: units ${keyframes}): ${summary(r)}`);
  assert.equal(rx.accepted, rx.passed + rx.skippedUntilKeyframe, summary(r));
  assert.deepEqual([rx.codecMismatch, rx.errors], [0, 0], summary(r));
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.pageErrors, []);
  lossyUnits = r.captured;
});

test('in-band receiver worker, unit by unit: configure checks, the chain rule, parameter sets out of delta units', async (t) => {
  if (lossyUnits === null) return t.skip('needs the sealed units of the lossy-relay test');
  // A keyframe followed by five deltas, and a later keyframe followed by a
  // delta (the camera sent one when the receiver asked, after the loss).
  const types = lossyUnits.map((unit) => unit.type);
  const first = types.findIndex((type, i) => type === 'key' && types.slice(i + 1, i + 6).join() === 'delta,delta,delta,delta,delta');
  const second = types.findIndex((type, i) => i > first + 5 && type === 'key' && types[i + 1] === 'delta');
  assert.ok(first >= 0 && second >= 0, `the sealed units lack the keyframes wanted: ${types}`);
  const u = (i) => lossyUnits[first + i].bytes;
  // The first keyframe's SPS (start code and NAL unit), put in front of a delta unit by a relay.
  const sps = (() => {
    const bytes = u(0);
    for (let i = 0; i + 3 < bytes.length; i++) {
      if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1 && (bytes[i + 3] & 0x1f) === 7) {
        let end = i + 3;
        while (end + 2 < bytes.length && !(bytes[end] === 0 && bytes[end + 1] === 0 && (bytes[end + 2] === 1 || bytes[end + 2] === 0))) end++;
        return bytes.slice(i, end);
      }
    }
    throw new Error('the keyframe has no SPS');
  })();
  const withSps = [0, 0, 0, ...sps, ...u(2)];
  const feed = [
    u(0), // keyframe: passes
    u(1), // delta 1: passes
    withSps, // delta 2 with an SPS inserted: passes without it
    u(1), // replayed: dropped
    u(4), // delta 4 after a gap (3 is missing): skipped
    u(3), // delta 3, late: skipped (the chain stays broken)
    u(5), // delta 5: skipped
    lossyUnits[second].bytes, // the next keyframe: passes
    lossyUnits[second + 1].bytes, // and the delta after it
  ];
  // The same verdicts from each build of the package the worker can load.
  for (const build of ['modern', 'mvp', 'js']) {
    const r = await inPage('direct', { units: feed, cameraSeed: CAMERA, build });
    console.log(`# direct, ${build}: ${JSON.stringify({ build: r.build, errors: r.errors, inherited: r.inherited, counts: r.counts })}`);
    assert.equal(r.build, build);
    judgedUnitByUnit(r, u, lossyUnits[second].bytes);
  }
});

/** The NAL units of an Annex B stream or unit, without start codes and trailing zeros, in order. */
function nalUnits(bytes) {
  const starts = [];
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((at, k) => {
    let end = k + 1 < starts.length ? starts[k + 1] - 3 : bytes.length;
    while (end > at && bytes[end - 1] === 0) end--;
    return Array.from(bytes.slice(at, end));
  });
}
const h264Type = (nal) => nal[0] & 0x1f;
const h265Type = (nal) => (nal[0] >> 1) & 0x3f;
/** The NAL unit types of an Annex B unit, in order. */
const nalTypes = (bytes, type = h264Type) => nalUnits(bytes).map(type);
/** NAL units as one Annex B unit, with 4-byte start codes. */
const annexB = (nals) => nals.flatMap((nal) => [0, 0, 0, 1, ...nal]);

/**
 * The OBUs of an AV1 temporal unit in the low-overhead format, each as
 * `{ type, bytes }` (its whole bytes, header and size field included).
 */
function obus(unit) {
  const out = [];
  for (let at = 0; at < unit.length;) {
    const header = unit[at];
    let p = at + 1 + ((header & 0x04) !== 0 ? 1 : 0);
    let size = 0;
    for (let i = 0; ; i++) {
      const byte = unit[p++];
      size += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) break;
    }
    assert.ok((header & 0x02) !== 0 && p + size <= unit.length, 'the OBUs have size fields and fit');
    out.push({ type: (header >> 3) & 0x0f, bytes: Array.from(unit.slice(at, p + size)) });
    at = p + size;
  }
  return out;
}

/** The temporal units of an IVF file (32-byte file header, 12-byte frame headers). */
function ivfUnits(file) {
  const units = [];
  for (let at = file.readUInt16LE(6); at + 12 <= file.length;) {
    const size = file.readUInt32LE(at);
    units.push(file.subarray(at + 12, at + 12 + size));
    at += 12 + size;
  }
  return units;
}

/**
 * The access units of an H.265 Annex B stream (ITU-T H.265 §7.4.2.4.4): a
 * VCL NAL unit with first_slice_segment_in_pic_flag starts a picture, and
 * the non-VCL NAL units before it (VPS, SPS, PPS, prefix SEI, AUD) go with
 * it; a suffix SEI stays with the picture before it. A unit is a keyframe
 * when it holds an IRAP picture (types 16 to 21).
 */
function h265AccessUnits(stream) {
  const units = [];
  let current = [];
  let pending = [];
  for (const nal of nalUnits(stream)) {
    const type = h265Type(nal);
    if (type < 32 && (nal[2] & 0x80) !== 0 && current.some((n) => h265Type(n) < 32)) {
      units.push(current);
      current = [];
    }
    if (type < 32 || type === 40) {
      current.push(...pending, nal);
      pending = [];
    } else {
      pending.push(nal);
    }
  }
  units.push([...current, ...pending]);
  return units.map((nals) => ({ nals, keyframe: nals.some((n) => h265Type(n) >= 16 && h265Type(n) <= 21) }));
}

/** What the direct test's units must come to (see its feed). */
function judgedUnitByUnit(r, u, secondKeyframe) {
  assert.match(r.errors.senderCarriage, /carriage must be 'envelope' or 'in-band', got "in band"/);
  assert.match(r.errors.carriage, /carriage must be 'envelope' or 'in-band', got "inband"/);
  assert.match(r.errors.carriageType, /carriage must be 'envelope' or 'in-band', got a number/);
  assert.match(r.errors.codec, /codec must be 'h264', 'h265' or 'av1', got "vp8"/);
  assert.match(r.errors.codecEnvelope, /codec is for carriage: 'in-band' only/);
  assert.match(r.errors.unknownField, /unknown field layout/);
  assert.match(r.inherited, /codec is for carriage: 'in-band' only/, 'an inherited carriage is not read');
  const passed = r.outcomes.map((o) => o !== null);
  assert.deepEqual(passed, [true, true, true, false, false, false, false, true, true]);
  assert.deepEqual(r.outcomes[0], u(0), 'a keyframe goes on as it came, parameter sets and all');
  assert.deepEqual(r.outcomes[1], u(1));
  const types = [nalTypes(r.outcomes[2]), nalTypes(u(2))];
  assert.ok(!types[0].includes(7), `the SPS reached the decoder: NAL types ${types[0]}`);
  assert.deepEqual(types[0], types[1], 'the delta unit is otherwise the one sealed');
  assert.deepEqual(r.outcomes[7], secondKeyframe);
  assert.deepEqual(r.counts, {
    accepted: 8,
    dropped: {
      malformed: 0, 'unsupported-version': 0, unsigned: 0, 'too-large': 0, 'foreign-key': 0, 'bad-signature': 0,
      'wrong-stream': 0, stale: 0, future: 0, replayed: 1, 'bad-rotation': 0,
    },
    passed: 5, codecMismatch: 0, rotations: 0, skippedUntilKeyframe: 3,
    // createEncodedStreams() has no way to ask for a keyframe.
    keyFrameRequests: 0, notConfigured: 0, errors: 0,
  });
  assert.deepEqual(r.pageErrors, []);
}

test('in-band AV1: the right key shows the picture (a metadata OBU carries the seal), a foreign camera nothing', async (t) => {
  const right = await inPage('call', { codec: 'av1', cameraSeed: CAMERA, linkedSeed: CAMERA, watchMs: PICTURE_TIMEOUT_MS, untilPresented: 30 });
  if (right.skip) return t.skip(right.skip);
  console.log(`# av1, right key: ${summary(right)}`);
  assert.equal(right.negotiated, 'video/AV1');
  assert.ok(right.inBand.includes('video/av1'), 'inBandCodecs() names AV1');
  assert.ok(right.presented >= 30 && right.framesDecoded >= 30, summary(right));
  assertGreen(right, summary(right));
  const rx = right.receiver.video;
  assert.ok(rx.accepted >= 30 && rx.passed === rx.accepted, summary(right));
  for (const [reason, n] of Object.entries(rx.dropped)) assert.equal(n, 0, `${reason} drops: ${summary(right)}`);
  assert.deepEqual([rx.skippedUntilKeyframe, rx.codecMismatch, rx.errors], [0, 0, 0], summary(right));
  assert.deepEqual(right.pageErrors, []);
  const foreign = await inPage('call', { codec: 'av1', cameraSeed: STRANGER, linkedSeed: CAMERA, watchMs: WATCH_MS, minDropped: MIN_DROPPED });
  console.log(`# av1, foreign camera: ${summary(foreign)}`);
  assertShowsNothing(foreign, 'foreign-key', 'video/AV1');
});

test('in-band carriage and VP8 (no in-band carriage): the sender sends nothing, the receiver passes nothing', async () => {
  const sealed = await inPage('call', { codec: 'vp8', cameraSeed: CAMERA, linkedSeed: CAMERA, watchMs: WATCH_MS });
  console.log(`# vp8, in-band sender: ${summary(sealed)}`);
  assert.equal(sealed.negotiated, 'video/VP8');
  assert.ok(!sealed.inBand.includes('video/vp8'), 'inBandCodecs() leaves VP8 out');
  const tx = sealed.sender.video;
  assert.ok(tx.unsupportedCodec >= 25 && tx.signed === 0, summary(sealed));
  assert.equal(sealed.warnings.length, 1, `the sender worker warns once: ${summary(sealed)}`);
  assert.match(sealed.warnings[0], /vp8 frames have no in-band carriage and are not sent/);
  assert.equal(sealed.framesDecoded, 0, summary(sealed));
  // Envelope frames of VP8 reach a receiver that expects in-band units: not a codec it can verify.
  const enveloped = await inPage('call', { codec: 'vp8', cameraSeed: CAMERA, linkedSeed: CAMERA, senderCarriage: 'envelope', watchMs: WATCH_MS });
  console.log(`# vp8, envelope sender: ${summary(enveloped)}`);
  const rx = enveloped.receiver.video;
  assert.ok(rx.codecMismatch >= 25 && rx.accepted === 0 && rx.passed === 0, summary(enveloped));
  assert.equal(enveloped.framesDecoded, 0, summary(enveloped));
  assert.deepEqual(enveloped.pageErrors, []);
});

test('in-band H.265 (no WebRTC encoder here: x265 units through the receiver worker): parameter sets out of delta units', async () => {
  const units = h265AccessUnits(readFileSync(path.join(ROOT, 'tests', 'fixtures', 'inband', 'h265.h265')));
  assert.equal(units.length, 24, 'the fixture holds 24 access units');
  assert.ok(units[0].keyframe && !units[1].keyframe && !units[2].keyframe);
  const parameterSets = units[0].nals.filter((n) => h265Type(n) >= 32 && h265Type(n) <= 34);
  assert.equal(parameterSets.length, 3, 'the keyframe carries VPS, SPS and PPS');
  const sealed = await inPage('seal', { codec: 'h265', layout: 'annexb', cameraSeed: CAMERA,
    units: units.slice(0, 3).map((u) => ({ bytes: annexB(u.nals), keyframe: u.keyframe })) });
  // A relay repeats the parameter sets in front of the first delta unit.
  const feed = [sealed[0], [...annexB(parameterSets), ...sealed[1]], sealed[2]];
  const r = await inPage('direct', { units: feed, cameraSeed: CAMERA, build: 'auto', codec: 'h265' });
  console.log(`# h265 direct: ${JSON.stringify(r.counts)}`);
  assert.deepEqual(r.outcomes.map((o) => o !== null), [true, true, true], JSON.stringify(r.counts));
  assert.deepEqual(r.outcomes[0], sealed[0], 'a keyframe goes on as it came');
  const passedTypes = nalTypes(r.outcomes[1], h265Type);
  assert.ok(!passedTypes.some((t) => t >= 32 && t <= 34), `a parameter set reached the decoder: NAL types ${passedTypes}`);
  assert.deepEqual(passedTypes, nalTypes(sealed[1], h265Type), 'the delta unit is otherwise the one sealed');
  assert.ok(passedTypes.includes(39), 'with its seal (a prefix SEI)');
  assert.deepEqual(r.outcomes[2], sealed[2]);
  assert.equal(r.counts.accepted, 3);
  assert.equal(r.counts.passed, 3);
  assert.deepEqual(r.pageErrors, []);
});

test('in-band AV1 (libaom units through the receiver worker): sequence headers out of delta units', async () => {
  const units = ivfUnits(readFileSync(path.join(ROOT, 'tests', 'fixtures', 'inband', 'av1.ivf'))).slice(0, 3).map(obus);
  const SEQUENCE_HEADER = 1;
  const TEMPORAL_DELIMITER = 2;
  const keyframes = units.map((u) => u.some((o) => o.type === SEQUENCE_HEADER));
  assert.deepEqual(keyframes, [true, false, false], 'a key temporal unit (with its sequence header), then two others');
  const sequenceHeader = units[0].find((o) => o.type === SEQUENCE_HEADER).bytes;
  const sealed = await inPage('seal', { codec: 'av1', layout: 'obu', cameraSeed: CAMERA,
    units: units.map((u, i) => ({ bytes: u.flatMap((o) => o.bytes), keyframe: keyframes[i] })) });
  // A relay repeats the sequence header after the first delta unit's temporal delimiter.
  const delta = obus(new Uint8Array(sealed[1]));
  assert.equal(delta[0].type, TEMPORAL_DELIMITER);
  const feed = [sealed[0], [...delta[0].bytes, ...sequenceHeader, ...delta.slice(1).flatMap((o) => o.bytes)], sealed[2]];
  const r = await inPage('direct', { units: feed, cameraSeed: CAMERA, build: 'auto', codec: 'av1' });
  console.log(`# av1 direct: ${JSON.stringify(r.counts)}`);
  assert.deepEqual(r.outcomes.map((o) => o !== null), [true, true, true], JSON.stringify(r.counts));
  assert.deepEqual(r.outcomes[0], sealed[0], 'a keyframe goes on as it came');
  assert.deepEqual(r.outcomes[1], sealed[1], 'the delta unit reaches the decoder as sealed, without the sequence header');
  assert.deepEqual(r.outcomes[2], sealed[2]);
  assert.equal(r.counts.passed, 3);
  assert.deepEqual(r.pageErrors, []);
});
