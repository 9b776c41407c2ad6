// End to end: the WebRTC workers (pkg/webrtc/) between two RTCPeerConnections
// in one headless Chromium page, over loopback.
//
// The camera side sends a canvas captureStream() of a solid green picture
// (with a small moving square in a corner, so the encoder has something to
// do) through the sender worker, which wraps every encoded frame into a
// signed frameseal frame. The display side puts the receiver worker in front
// of its decoder and shows the track in a <video>. Asserted:
// - linked to another key, the display shows nothing: the <video> never
//   presents a frame, WebRTC's own stats say no frame was decoded, and the
//   receiver worker counted the camera's frames as foreign-key drops;
// - linked to the camera's key, the <video> shows the camera's picture (its
//   pixels, drawn to a canvas, are the camera's green);
// - frames without a frameseal envelope (an unprotected sender) never reach
//   the decoder either (malformed);
// for VP8 with both APIs (RTCRtpScriptTransform and the createEncodedStreams()
// fallback), and for VP9. H.264 and AV1 in envelopes do not work (their RTP
// packetizers rebuild the payload, so the envelope arrives broken): asserted
// to fail closed, showing nothing. Their seals go in-band instead
// (carriage: 'in-band'): webrtc-inband.test.mjs.
//
// One more test drives the receiver worker without WebRTC, through a
// stand-in for createEncodedStreams(): refused configurations (with the
// reason), fail-closed until configured, and a genuine, replayed, foreign,
// forged, envelope-less and key-rotation frame, each judged as it should be.
//
// Needs pkg/ built by ./build.sh build (FRAMESEAL_PKG overrides) and Debian's
// chromium. Run: node --test tests/e2e/webrtc.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { CALL_PATH, assertGreen, inPage, openCallPage } from './webrtc-page.mjs';
/** How long a display linked to the wrong key is watched for a picture. */
const WRONG_KEY_WATCH_MS = 5000;
/** How long a display linked to the right key may take to show the picture. */
const RIGHT_KEY_TIMEOUT_MS = 20000;
/**
 * Frames the receiver must have judged before a "shows nothing" call ends
 * (the assertions want > 20 signed and > 10 dropped), and how much longer
 * than WRONG_KEY_WATCH_MS it may wait for them.
 */
const MIN_DROPPED = 25;
const EVIDENCE_TIMEOUT_MS = 30000;

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>frameseal WebRTC test</title>
<body>
<script type="module">
import init, { Signer, fingerprint } from '/pkg/frameseal.js';
import { createSenderWorker, createReceiverWorker, configure, protect, request, workerStats, encodedTransformSupport }
  from '/pkg/webrtc/index.js';
import { camera, peers, negotiate, display, watch, hangUp } from '${CALL_PATH}';

await init();
const keyOf = (seed) => new Uint8Array(32).fill(seed);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One call: camera (seed cameraSeed) -> display linked to linkedSeed's key.
window.call = async ({ codec, cameraSeed, linkedSeed, mode, watchMs, untilPresented, minDropped, protectSender = true }) => {
  const wanted = RTCRtpSender.getCapabilities('video').codecs
    .filter((c) => c.mimeType.toLowerCase() === 'video/' + codec);
  if (wanted.length === 0) return { skip: 'this browser has no ' + codec + ' for WebRTC' };

  const source = camera();
  const config = mode === 'encoded-streams' ? { encodedInsertableStreams: true } : {};
  const { pc1, pc2 } = peers(config, config);

  const senderWorker = createSenderWorker();
  const receiverWorker = createReceiverWorker();
  const warnings = [];
  senderWorker.addEventListener('message', (e) => { if (e.data.type === 'warning') warnings.push(e.data.message); });
  const cameraFingerprint = await configure(senderWorker, { secretKey: keyOf(cameraSeed) });
  const linkedFingerprint = await configure(receiverWorker, {
    linkedPublicKey: new Signer(keyOf(linkedSeed)).publicKey,
  });

  const transceiver = pc1.addTransceiver(source.track, { direction: 'sendonly', streams: [source.stream] });
  transceiver.setCodecPreferences(wanted);
  const senderMode = protectSender ? await protect(transceiver.sender, senderWorker, { name: 'video', mode }) : null;

  const { video, presented } = display();
  const receiving = new Promise((resolve) => {
    pc2.ontrack = (e) => {
      // Before any frame arrives: protect() attaches synchronously.
      resolve(protect(e.receiver, receiverWorker, { name: 'video', mode }));
      video.srcObject = new MediaStream([e.track]);
      video.play().catch(() => {});
    };
  });
  await negotiate(pc1, pc2);
  const receiverMode = await receiving;

  // Until the picture is presented (untilPresented), or for watchMs and on
  // until the receiver has judged minDropped frames (a busy machine sends
  // fewer; the wait for them is capped at ${EVIDENCE_TIMEOUT_MS} ms more).
  const dropped = async () => Object.values((await workerStats(receiverWorker)).video?.dropped ?? {}).reduce((a, b) => a + b, 0);
  const waitedMs = await watch({
    watchMs,
    evidenceMs: ${EVIDENCE_TIMEOUT_MS},
    done: () => Boolean(untilPresented) && presented() >= untilPresented,
    enough: minDropped ? async () => (await dropped()) >= minDropped : null,
  });

  return {
    support: encodedTransformSupport(),
    senderMode, receiverMode, cameraFingerprint, linkedFingerprint, waitedMs, warnings,
    ...(await hangUp({ source, pc1, pc2, video, presented, senderWorker, receiverWorker, workerStats })),
  };
};
// The workers without WebRTC: frames pushed through a stand-in for
// createEncodedStreams(), to check the protocol and every verdict.
window.direct = async () => {
  const camera = new Signer(keyOf(7));
  const next = new Signer(keyOf(8));
  const stranger = new Signer(keyOf(9));
  const stream = camera.streamId;
  const text = (s) => new TextEncoder().encode(s);
  const refused = async (worker, config) => {
    try { await configure(worker, config); return null; } catch (e) { return e.message; }
  };
  const sender = createSenderWorker();
  const receiver = createReceiverWorker();
  const messages = [];
  receiver.addEventListener('message', (e) => { if (!e.data.id) messages.push(e.data); });
  const errors = {
    shortKey: await refused(receiver, { linkedPublicKey: new Uint8Array(31) }),
    unknownField: await refused(receiver, { linkedPublicKey: camera.publicKey, maxAgeMs: 5 }),
    unknownOption: await refused(receiver, { linkedPublicKey: camera.publicKey, options: { maxAge: 5 } }),
    shortSecret: await refused(sender, { secretKey: new Uint8Array(5) }),
    badCodec: await refused(sender, { secretKey: keyOf(7), codec: 'mpeg2' }),
  };
  sender.terminate();

  const input = new TransformStream();
  const output = new TransformStream();
  const fake = { createEncodedStreams: () => ({ readable: input.readable, writable: output.writable }) };
  const mode = await protect(fake, receiver, { name: 'direct', mode: 'encoded-streams' });
  const writer = input.writable.getWriter();
  const reader = output.readable.getReader();
  const send = (bytes) => writer.write({ data: bytes.slice().buffer });
  const stats = async () => (await workerStats(receiver)).direct;

  // Unconfigured (every configure above failed): nothing passes.
  await send(camera.signFrame(text('too early'), { codec: 'vp8', keyframe: true }));
  while ((await stats()).notConfigured < 1) await sleep(20);
  const linked = await configure(receiver, { linkedPublicKey: camera.publicKey });

  const one = camera.signFrame(text('one'), { codec: 'vp8', keyframe: true });
  await send(one);
  await send(one); // replayed
  await send(stranger.signFrame(text('stranger'), { codec: 'vp8', keyframe: true, streamId: stream }));
  await send(text('no envelope at all'));
  const forged = one.slice();
  forged[60] ^= 1;
  await send(forged);
  await send(camera.signRotation(next, {}));
  await send(camera.signFrame(text('old key after the rotation'), { codec: 'vp8' }));
  await send(next.signFrame(text('two'), { codec: 'vp8', streamId: stream, seq: 1000 }));
  const passed = [];
  for (let i = 0; i < 2; i++) passed.push(new TextDecoder().decode((await reader.read()).value.data));
  const counts = await stats();
  await writer.close();
  while (messages.length < 1) await sleep(20);
  receiver.terminate();
  return { errors, mode, linked, cameraFingerprint: fingerprint(camera.publicKey), passed, counts, messages,
    nextFingerprint: fingerprint(next.publicKey), nextKey: Array.from(next.publicKey) };
};
// Which build of the package each worker loads, and that it signs and
// verifies with it: per build, a sender and a receiver worker, configured
// (their reply names the build), and one frame through both by a stand-in
// for createEncodedStreams(). 'auto' is the loader's choice on this engine;
// 'refused' and 'none' start the same worker scripts from a wrapper that
// first makes this worker's engine refuse the loader's probe, or have no
// WebAssembly at all, as an older web view would.
window.builds = async () => {
  const camera = new Signer(keyOf(7));
  const text = (s) => new TextEncoder().encode(s);
  // A worker running /pkg/webrtc/<script> after \`patch\`; ready once it said so.
  const patched = async (script, patch) => {
    const source = patch + '\\nawait import(' + JSON.stringify(new URL('/pkg/webrtc/' + script, location.href).href) + ');'
      + "\\nself.postMessage({ type: 'patched' });";
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
    await new Promise((resolve, reject) => {
      worker.addEventListener('message', (e) => { if (e.data?.type === 'patched') resolve(); });
      worker.addEventListener('error', (e) => reject(new Error('patched worker: ' + e.message)));
    });
    return worker;
  };
  const through = async (worker, name, bytes) => {
    const input = new TransformStream();
    const output = new TransformStream();
    const fake = { createEncodedStreams: () => ({ readable: input.readable, writable: output.writable }) };
    await protect(fake, worker, { name, mode: 'encoded-streams' });
    const writer = input.writable.getWriter();
    const reader = output.readable.getReader();
    await writer.write({ data: bytes.slice().buffer });
    const { value } = await reader.read();
    await writer.close();
    return new Uint8Array(value.data);
  };
  const run = async (sender, receiver) => {
    try {
      const senderReply = await request(sender, { type: 'configure', secretKey: keyOf(7) });
      const receiverReply = await request(receiver, { type: 'configure', linkedPublicKey: camera.publicKey });
      const signed = await through(sender, 'out', text('picture'));
      const passed = new TextDecoder().decode(await through(receiver, 'in', signed));
      return {
        builds: [senderReply.build, receiverReply.build],
        fingerprints: [senderReply.fingerprint, receiverReply.fingerprint],
        passed,
        verifiedHere: new (await import('/pkg/frameseal.js')).Verifier(camera.publicKey).verify(signed).ok,
        received: (await workerStats(receiver)).in,
      };
    } catch (e) {
      return { error: e.message };
    } finally {
      sender.terminate();
      receiver.terminate();
    }
  };
  const out = {};
  for (const build of ['auto', 'modern', 'mvp', 'js']) {
    out[build] = await run(createSenderWorker({ build }), createReceiverWorker({ build }));
  }
  for (const [name, patch] of [['refused', 'WebAssembly.validate = () => false;'], ['none', 'delete self.WebAssembly;']]) {
    out[name] = await run(await patched('sender.js', patch), await patched('receiver.js', patch));
  }
  const refused = (f) => { try { f(); return 'created'; } catch (e) { return e.message; } };
  out.badBuild = refused(() => createReceiverWorker({ build: 'wasm2' }));
  out.badOption = refused(() => createSenderWorker({ bulid: 'mvp' }));
  out.cameraFingerprint = fingerprint(camera.publicKey);
  return out;
};
window.ready = true;
</script>
`;


let opened;
/** The paths under /pkg/ the server was asked for, by the pages and their workers. */
const served = [];

before(async () => {
  opened = await openCallPage(PAGE, (req) => served.push(new URL(req.url, 'http://127.0.0.1').pathname));
});

after(async () => {
  await opened?.close();
});

/** Runs one call in a fresh page; returns what the page measured. */
const call = (options) => inPage(opened.browser, opened.origin, 'call', options);

const summary = (r) => JSON.stringify({
  mode: r.receiverMode, codec: r.negotiated, presented: r.presented, size: `${r.videoWidth}x${r.videoHeight}`,
  pixel: r.pixel, framesSent: r.framesSent, framesReceived: r.framesReceived, framesDecoded: r.framesDecoded,
  sender: r.sender.video, receiver: r.receiver.video, waitedMs: r.waitedMs, warnings: r.warnings,
  pageErrors: r.pageErrors,
});

function assertShowsCamera(r) {
  assert.ok(r.presented > 0, `the <video> presented no frame: ${summary(r)}`);
  assert.ok(r.framesDecoded > 0, `nothing was decoded: ${summary(r)}`);
  assertGreen(r, summary(r));
  const rx = r.receiver.video;
  assert.ok(rx.passed > 0 && rx.accepted === rx.passed, `receiver worker: ${summary(r)}`);
  for (const [reason, n] of Object.entries(rx.dropped)) assert.equal(n, 0, `${reason} drops: ${summary(r)}`);
  assert.equal(r.sender.video.errors, 0);
  assert.equal(rx.errors, 0);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.pageErrors, []);
}

function assertShowsNothing(r, reason) {
  assert.equal(r.presented, 0, `the <video> presented a frame: ${summary(r)}`);
  assert.equal(r.framesDecoded, 0, `a frame reached the decoder: ${summary(r)}`);
  assert.equal(r.videoWidth, 0, `the <video> knows a picture size: ${summary(r)}`);
  assert.deepEqual(r.pixel, [0, 0, 0, 0], `the <video> drew something: ${summary(r)}`);
  const rx = r.receiver.video;
  assert.equal(rx.accepted, 0, summary(r));
  assert.equal(rx.passed, 0, summary(r));
  assert.ok(rx.dropped[reason] > 10, `expected many ${reason} drops: ${summary(r)}`);
  for (const [other, n] of Object.entries(rx.dropped)) if (other !== reason) assert.equal(n, 0, `${other} drops: ${summary(r)}`);
  assert.deepEqual(r.pageErrors, []);
}

const CAMERA = 7;
const STRANGER = 9;

test('Chromium has RTCRtpScriptTransform (the fallback, createEncodedStreams, is tested too)', async () => {
  const page = await opened.browser.newPage();
  await page.goto(`${opened.origin}/`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
  const api = await page.evaluate(async () => {
    const { encodedTransformSupport, envelopeCodecs } = await import('/pkg/webrtc/index.js');
    return {
      scriptTransform: typeof RTCRtpScriptTransform,
      encodedStreams: typeof RTCRtpSender.prototype.createEncodedStreams,
      support: encodedTransformSupport(),
      envelopeCodecs: [...new Set(envelopeCodecs().map((c) => c.mimeType))],
    };
  });
  await page.close();
  console.log(`# typeof RTCRtpScriptTransform: ${api.scriptTransform}; createEncodedStreams: ${api.encodedStreams}`);
  assert.equal(api.scriptTransform, 'function');
  assert.equal(api.support, 'script-transform');
  assert.deepEqual(api.envelopeCodecs.filter((m) => !/rtx|red|ulpfec|flexfec/.test(m)), ['video/VP8', 'video/VP9']);
});

test('the workers refuse bad configurations with a reason, fail closed, and judge every frame', async () => {
  const page = await opened.browser.newPage();
  await page.goto(`${opened.origin}/`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
  const r = await page.evaluate(() => window.direct());
  await page.close();
  assert.match(r.errors.shortKey, /linkedPublicKey.*32 bytes/);
  assert.match(r.errors.unknownField, /unknown field maxAgeMs/);
  assert.match(r.errors.unknownOption, /unknown option options\.maxAge/);
  assert.match(r.errors.shortSecret, /secretKey must be 32 bytes/);
  assert.match(r.errors.badCodec, /codec must be one of/);
  assert.equal(r.mode, 'encoded-streams');
  assert.equal(r.linked, r.cameraFingerprint);
  assert.deepEqual(r.passed, ['one', 'two']);
  assert.deepEqual(r.counts, {
    accepted: 3, // one, the rotation, two
    dropped: {
      malformed: 1, 'unsupported-version': 0, unsigned: 0, 'too-large': 0, 'foreign-key': 2, 'bad-signature': 1,
      'wrong-stream': 0, stale: 0, future: 0, replayed: 1, 'bad-rotation': 0,
    },
    passed: 2, codecMismatch: 0, rotations: 1, notConfigured: 1, errors: 0,
  });
  assert.deepEqual(r.messages, [{ type: 'rotated', name: 'direct', newPublicKey: r.messages[0].newPublicKey, fingerprint: r.nextFingerprint }]);
  assert.deepEqual(Object.values(r.messages[0].newPublicKey), r.nextKey);
});

test('the workers load the package through frameseal/loader: the build it picks for the engine, or the one forced', async () => {
  const page = await opened.browser.newPage();
  await page.goto(`${opened.origin}/`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
  served.length = 0;
  const r = await page.evaluate(() => window.builds());
  await page.close();
  console.log(`# builds: ${JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.builds ?? v.error ?? v])))}`);
  const want = (build) => ({
    builds: [build, build],
    fingerprints: [r.cameraFingerprint, r.cameraFingerprint],
    passed: 'picture',
    verifiedHere: true,
    received: {
      accepted: 1,
      dropped: {
        malformed: 0, 'unsupported-version': 0, unsigned: 0, 'too-large': 0, 'foreign-key': 0, 'bad-signature': 0,
        'wrong-stream': 0, stale: 0, future: 0, replayed: 0, 'bad-rotation': 0,
      },
      passed: 1, codecMismatch: 0, rotations: 0, notConfigured: 0, errors: 0,
    },
  });
  assert.deepEqual(r.auto, want('modern'), 'this Chromium runs the modern build');
  assert.deepEqual(r.modern, want('modern'));
  assert.deepEqual(r.mvp, want('mvp'), 'forced: the WebAssembly 1.0 build');
  assert.deepEqual(r.js, want('js'), 'forced: the JS build');
  assert.deepEqual(r.refused, want('mvp'), 'an engine that refuses the probe gets the WebAssembly 1.0 build');
  assert.deepEqual(r.none, want('js'), 'an engine without WebAssembly gets the JS build');
  assert.match(r.badBuild, /^createReceiverWorker: build must be 'auto', 'modern', 'mvp' or 'js', got "wasm2"$/);
  assert.match(r.badOption, /^createSenderWorker: unknown option bulid \(known: build\)$/);
  for (const file of ['/pkg/loader.js', '/pkg/mvp/frameseal_bg.wasm', '/pkg/mvp-js/frameseal.js']) {
    assert.ok(served.includes(file), `the workers fetched ${file}`);
  }
});

for (const mode of ['script-transform', 'encoded-streams']) {
  test(`${mode}, VP8: a display linked to another key shows nothing; the worker counts foreign-key drops`, async () => {
    const r = await call({ codec: 'vp8', cameraSeed: CAMERA, linkedSeed: STRANGER, mode, watchMs: WRONG_KEY_WATCH_MS, minDropped: MIN_DROPPED });
    console.log(`# wrong key, ${mode}: ${summary(r)}`);
    assert.equal(r.receiverMode, mode);
    assert.equal(r.senderMode, mode);
    assert.notEqual(r.cameraFingerprint, r.linkedFingerprint);
    assert.ok(r.sender.video.signed > 20, `the camera sent too little: ${summary(r)}`);
    assertShowsNothing(r, 'foreign-key');
  });

  test(`${mode}, VP8: a display linked to the camera's key shows the camera's picture`, async () => {
    const r = await call({ codec: 'vp8', cameraSeed: CAMERA, linkedSeed: CAMERA, mode, watchMs: RIGHT_KEY_TIMEOUT_MS, untilPresented: 15 });
    console.log(`# right key, ${mode}: ${summary(r)}`);
    assert.equal(r.receiverMode, mode);
    assert.equal(r.cameraFingerprint, r.linkedFingerprint);
    assert.equal(r.negotiated, 'video/VP8');
    assertShowsCamera(r);
  });
}

test('frames without a frameseal envelope (an unprotected sender) never reach the decoder', async () => {
  const r = await call({ codec: 'vp8', cameraSeed: CAMERA, linkedSeed: CAMERA, mode: 'script-transform', watchMs: WRONG_KEY_WATCH_MS, minDropped: MIN_DROPPED, protectSender: false });
  console.log(`# unprotected sender: ${summary(r)}`);
  assertShowsNothing(r, 'malformed');
});

test('script-transform, VP9: the right key shows the picture, the wrong key nothing', async (t) => {
  const right = await call({ codec: 'vp9', cameraSeed: CAMERA, linkedSeed: CAMERA, mode: 'script-transform', watchMs: RIGHT_KEY_TIMEOUT_MS, untilPresented: 15 });
  if (right.skip) return t.skip(right.skip);
  console.log(`# right key, vp9: ${summary(right)}`);
  assert.equal(right.negotiated, 'video/VP9');
  assertShowsCamera(right);
  const wrong = await call({ codec: 'vp9', cameraSeed: CAMERA, linkedSeed: STRANGER, mode: 'script-transform', watchMs: WRONG_KEY_WATCH_MS, minDropped: MIN_DROPPED });
  console.log(`# wrong key, vp9: ${summary(wrong)}`);
  assertShowsNothing(wrong, 'foreign-key');
});

// WebRTC's H.264 and AV1 packetizers parse the payload (NAL units, OBUs) and
// rebuild it on the receiving side, so an enveloped frame does not arrive as
// it was signed. The receiver fails closed: nothing reaches the decoder.
for (const codec of ['h264', 'av1']) {
  test(`script-transform, ${codec}: the envelope does not survive packetization, and nothing is shown`, async (t) => {
    const r = await call({ codec, cameraSeed: CAMERA, linkedSeed: CAMERA, mode: 'script-transform', watchMs: WRONG_KEY_WATCH_MS, minDropped: MIN_DROPPED });
    if (r.skip) return t.skip(r.skip);
    console.log(`# ${codec} (not supported, fails closed): ${summary(r)}`);
    assert.ok(r.sender.video.signed > 20, `the camera sent too little: ${summary(r)}`);
    assertShowsNothing(r, 'malformed');
    assert.equal(r.warnings.length, 1, `the sender worker warns once: ${summary(r)}`);
    assert.match(r.warnings[0], /VP8 or VP9/);
  });
}
