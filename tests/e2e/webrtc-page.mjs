// What the WebRTC end-to-end tests (webrtc.test.mjs: envelopes;
// webrtc-inband.test.mjs: seals in the bitstream) share: the page module
// that sets up a camera, two peer connections and a display in one page
// (served to their pages as /webrtc-call.js), and the Node-side helpers
// that open such a page and judge its picture.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { ROOT, startPkgServer } from './demo-server.mjs';

const { chromium } = createRequire(import.meta.url)('playwright-core');

/** The package under test: pkg/, or $FRAMESEAL_PKG. */
export const PKG = path.resolve(process.env.FRAMESEAL_PKG ?? path.join(ROOT, 'pkg'));
/** The Chromium the tests drive: Debian's, or $CHROMIUM. */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** The camera's picture: a solid green (a small white square moves in a corner). */
export const GREEN = [40, 200, 60];

/** Chromium's flags for these tests (fake media devices, nothing in the background). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/** The path the pages import CALL_MODULE from. */
export const CALL_PATH = '/webrtc-call.js';

/**
 * The page module (an ES module's source) at CALL_PATH: one call's parts.
 * - `camera()`: a 320x240 canvas painted GREEN at 30 frames/s, as a
 *   MediaStream; `stop()` ends it.
 * - `peers(config1, config2)`: two RTCPeerConnections that trade ICE
 *   candidates; `negotiate(pc1, pc2)`: pc1 offers, pc2 answers.
 * - `display()`: a muted <video> in the page that counts the frames it
 *   presents (requestVideoFrameCallback): `{ video, presented() }`.
 * - `watch({ watchMs, done, enough, evidenceMs })`: waits until `done()`, or
 *   for watchMs and then until `await enough()` (at most evidenceMs more);
 *   resolves with the ms waited.
 * - `pixel(video)`: the RGBA at the centre of what the <video> shows.
 * - `rtcStats(pc1, pc2)`: WebRTC's own counts for the video: the codec pc1
 *   sends (`negotiated`, its MIME type), frames sent, received, decoded.
 * - `hangUp(call)`: what the display showed (frames presented, size, the
 *   centre pixel), rtcStats and both workers' stats (through the package's
 *   `workerStats`, passed in), then everything stopped and removed.
 */
export const CALL_MODULE = `
const GREEN = ${JSON.stringify(GREEN)};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function camera() {
  const source = document.createElement('canvas');
  source.width = 320;
  source.height = 240;
  const context = source.getContext('2d');
  let tick = 0;
  const paint = () => {
    context.fillStyle = 'rgb(' + GREEN.join(',') + ')';
    context.fillRect(0, 0, 320, 240);
    context.fillStyle = '#fff';
    context.fillRect(8 + (tick++ % 40), 8, 12, 12);
  };
  paint();
  const painter = setInterval(paint, 33);
  const stream = source.captureStream(30);
  const [track] = stream.getVideoTracks();
  return { stream, track, stop: () => { clearInterval(painter); track.stop(); } };
}

export function peers(config1 = {}, config2 = {}) {
  const pc1 = new RTCPeerConnection(config1);
  const pc2 = new RTCPeerConnection(config2);
  pc1.onicecandidate = (e) => e.candidate && pc2.addIceCandidate(e.candidate);
  pc2.onicecandidate = (e) => e.candidate && pc1.addIceCandidate(e.candidate);
  return { pc1, pc2 };
}

export async function negotiate(pc1, pc2) {
  await pc1.setLocalDescription();
  await pc2.setRemoteDescription(pc1.localDescription);
  await pc2.setLocalDescription();
  await pc1.setRemoteDescription(pc2.localDescription);
}

export function display() {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  document.body.append(video);
  let presented = 0;
  const counted = () => { presented++; video.requestVideoFrameCallback(counted); };
  video.requestVideoFrameCallback(counted);
  return { video, presented: () => presented };
}

export async function watch({ watchMs, done = () => false, enough = null, evidenceMs }) {
  const start = performance.now();
  for (;;) {
    const elapsed = performance.now() - start;
    if (done()) break;
    if (elapsed >= watchMs && (!enough || elapsed >= watchMs + evidenceMs || await enough())) break;
    await sleep(100);
  }
  return Math.round(performance.now() - start);
}

export function pixel(video) {
  const probe = document.createElement('canvas');
  probe.width = 32;
  probe.height = 24;
  const context = probe.getContext('2d', { willReadFrequently: true });
  context.drawImage(video, 0, 0, 32, 24);
  return Array.from(context.getImageData(16, 12, 1, 1).data);
}

export async function rtcStats(pc1, pc2) {
  const sent = await pc1.getStats();
  const received = await pc2.getStats();
  const video = (report, type) => [...report.values()].find((s) => s.type === type && s.kind === 'video');
  const outbound = video(sent, 'outbound-rtp');
  const inbound = video(received, 'inbound-rtp');
  // The codec the camera sends (the display names none when it decoded nothing).
  const codec = outbound && outbound.codecId ? sent.get(outbound.codecId) : null;
  return {
    negotiated: codec ? codec.mimeType : null,
    framesSent: outbound ? outbound.framesSent ?? outbound.framesEncoded : null,
    keyFramesEncoded: outbound ? outbound.keyFramesEncoded ?? null : null,
    pliReceived: outbound ? outbound.pliCount ?? null : null,
    framesReceived: inbound ? inbound.framesReceived ?? null : null,
    framesDecoded: inbound ? inbound.framesDecoded ?? 0 : 0,
    keyFramesDecoded: inbound ? inbound.keyFramesDecoded ?? 0 : 0,
  };
}

export async function hangUp({ source, pc1, pc2, video, presented, senderWorker, receiverWorker, workerStats }) {
  const measured = {
    presented: presented(), videoWidth: video.videoWidth, videoHeight: video.videoHeight,
    // What the display shows: the <video> drawn to a canvas, at its centre.
    pixel: pixel(video),
    ...(await rtcStats(pc1, pc2)),
    sender: await workerStats(senderWorker),
    receiver: await workerStats(receiverWorker),
  };
  source.stop();
  pc1.close();
  pc2.close();
  senderWorker.terminate();
  receiverWorker.terminate();
  video.remove();
  return measured;
}
`;

/** The `extra` of startPkgServer that serves CALL_MODULE. */
export const CALL_ROUTE = { [CALL_PATH]: { type: 'text/javascript', body: CALL_MODULE } };

/**
 * Serves `page` (with PKG and the call module) and launches Chromium, what
 * each WebRTC test file does before its tests; `onRequest` (if given) sees
 * every request the server gets. Resolves with the server's `origin`, the
 * `browser` and `close()`.
 */
export async function openCallPage(page, onRequest) {
  for (const f of ['frameseal.js', 'frameseal_bg.wasm', 'webrtc/sender.js', 'webrtc/receiver.js', 'webrtc/index.js']) {
    assert.ok(existsSync(path.join(PKG, f)), `${PKG}/${f} is missing: run ./build.sh build first`);
  }
  const server = await startPkgServer(page, PKG, CALL_ROUTE);
  if (onRequest) server.on('request', onRequest);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    origin,
    browser,
    async close() {
      await browser.close();
      server.close();
    },
  };
}

/**
 * Runs the page's `window[fn](options)` in a fresh page of `browser` at
 * `origin` (once the page set `window.ready`); resolves with its result,
 * plus `pageErrors`: the page's uncaught errors and console errors.
 */
export async function inPage(browser, origin, fn, options) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  try {
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
    const result = await page.evaluate(([name, o]) => window[name](o), [fn, options]);
    result.pageErrors = errors;
    return result;
  } finally {
    await page.close();
  }
}

/** Asserts that the display shows the camera's green (`why` describes the call). */
export function assertGreen(r, why) {
  const [red, green, blue, alpha] = r.pixel;
  assert.equal(alpha, 255, `the <video> drew nothing: ${why}`);
  // The camera's green, give or take what the codec and the colour
  // conversions do to it (VP8 here brightens green to about 243).
  assert.ok(green > 150 && red < 100 && blue < 110 && green - Math.max(red, blue) > 100,
    `the pixel ${r.pixel} is not the camera's green ${GREEN}: ${why}`);
}
