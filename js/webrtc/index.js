// Page-side helpers for the frameseal WebRTC workers (ships as
// pkg/webrtc/index.js; import 'frameseal/webrtc'). The workers do the work;
// this starts them, talks to them, and attaches them to RTCRtpSenders and
// RTCRtpReceivers with whichever API the browser has:
//   - RTCRtpScriptTransform (encoded transform; Chromium, Safari, Firefox), or
//   - createEncodedStreams() (older Chromium "insertable streams"), which only
//     works on an RTCPeerConnection built with { encodedInsertableStreams: true }.
//
// Options, configurations and the workers' replies are read from their own
// properties only (SPEC §4): a property a script put on Object.prototype
// must not pick the attachment, name a transform or pass for a reply.

import { BUILDS } from '../loader.js';

// Captured when this module loads, so that replacing
// Object.prototype.hasOwnProperty later steers nothing.
const hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
/** `object[key]` if `object` (any value) has that property itself, else undefined. */
const own = (object, key) => (object !== null && object !== undefined && hasOwn(object, key) ? object[key] : undefined);
/**
 * The browser's own `name` global (an interface such as RTCRtpScriptTransform),
 * not one inherited from a prototype: in a browser without the interface, an
 * Object.prototype.RTCRtpScriptTransform must not pass for it (its
 * "transform" would verify nothing).
 */
const platform = (name) => (hasOwn(globalThis, name) ? globalThis[name] : undefined);

/**
 * The `build` option of createSenderWorker / createReceiverWorker: which
 * build of the package the worker loads ('auto', the loader's choice, by
 * default; 'modern', 'mvp' or 'js' forces one, as load() does).
 */
function buildOf(options, caller) {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new Error(`${caller}: options must be an object`);
  }
  for (const key of options === undefined ? [] : Object.keys(options)) {
    if (key !== 'build') throw new Error(`${caller}: unknown option ${key} (known: build)`);
  }
  const build = own(options, 'build') ?? 'auto';
  if (build !== 'auto' && !BUILDS.includes(build)) {
    throw new Error(`${caller}: build must be 'auto', 'modern', 'mvp' or 'js', got ${JSON.stringify(build)}`);
  }
  return build;
}

// A forced build rides on the worker's URL (`?build=`), as GatePool's does.
// The default keeps the literal `new Worker(new URL('./x.js', import.meta.url),
// { ... })` that bundlers recognise and bundle; a forced build is for tests
// and kiosks served from the package folder.
const HERE = import.meta.url;
function forced(script, build) {
  const url = new URL(script, HERE);
  url.searchParams.set('build', build);
  return url;
}

/** A new sender worker (signs outgoing encoded frames). `{ build }`: see buildOf. */
export function createSenderWorker(options = undefined) {
  const build = buildOf(options, 'createSenderWorker');
  const how = { type: 'module', name: 'frameseal-sender' };
  if (build !== 'auto') return new Worker(forced('./sender.js', build), how);
  return new Worker(new URL('./sender.js', import.meta.url), { type: 'module', name: 'frameseal-sender' });
}

/** A new receiver worker (verifies incoming encoded frames). `{ build }`: see buildOf. */
export function createReceiverWorker(options = undefined) {
  const build = buildOf(options, 'createReceiverWorker');
  const how = { type: 'module', name: 'frameseal-receiver' };
  if (build !== 'auto') return new Worker(forced('./receiver.js', build), how);
  return new Worker(new URL('./receiver.js', import.meta.url), { type: 'module', name: 'frameseal-receiver' });
}

/** Which attachment `protect` uses in this browser by default, or null when neither exists. */
export function encodedTransformSupport() {
  if (typeof platform('RTCRtpScriptTransform') === 'function') return 'script-transform';
  const Sender = platform('RTCRtpSender');
  if (typeof Sender === 'function' && typeof own(Sender.prototype, 'createEncodedStreams') === 'function') {
    return 'encoded-streams';
  }
  return null;
}

/** Video codecs a frameseal envelope survives, and the ones that protect them. */
const ENVELOPE_CODECS = new Set(['video/vp8', 'video/vp9', 'video/rtx', 'video/red', 'video/ulpfec', 'video/flexfec-03']);

/**
 * The browser's video codecs a frameseal envelope survives: VP8 and VP9 (and
 * rtx/red/ulpfec, which protect them), in the browser's order. WebRTC's
 * H.264, H.265 and AV1 packetizers split and rebuild the payload along NAL
 * units / OBUs, so a wrapped frame of those codecs arrives broken and the
 * receiver drops it (malformed). Use with
 * `transceiver.setCodecPreferences(envelopeCodecs())` on either side.
 */
export function envelopeCodecs() {
  const codecs = RTCRtpReceiver.getCapabilities('video')?.codecs ?? [];
  return codecs.filter((c) => ENVELOPE_CODECS.has(c.mimeType.toLowerCase()));
}

/** Video codecs with in-band carriage (SPEC §6.3), and the ones that protect them. */
const IN_BAND_CODECS = new Set(['video/h264', 'video/h265', 'video/av1', 'video/rtx', 'video/red', 'video/ulpfec', 'video/flexfec-03']);

/**
 * The browser's video codecs that carry a seal in-band (`carriage:
 * 'in-band'`): H.264, H.265 and AV1 (and rtx/red/ulpfec, which protect
 * them), in the browser's order. Use with
 * `transceiver.setCodecPreferences(inBandCodecs())` on either side.
 */
export function inBandCodecs() {
  const codecs = RTCRtpReceiver.getCapabilities('video')?.codecs ?? [];
  return codecs.filter((c) => IN_BAND_CODECS.has(c.mimeType.toLowerCase()));
}

let nextId = 0;

/** Posts `message` and resolves with the worker's reply (rejects on { type: 'error' }). */
export function request(worker, message, transfer = []) {
  const id = `frameseal-${++nextId}`;
  return new Promise((resolve, reject) => {
    const onMessage = (event) => {
      const reply = event.data;
      if (own(reply, 'id') !== id) return;
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      if (own(reply, 'type') === 'error') reject(new Error(own(reply, 'message')));
      else resolve(reply);
    };
    const onError = (event) => {
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      reject(new Error(`frameseal worker failed: ${event.message ?? 'could not load (check its URL and that the wasm file is served)'}`));
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
    worker.postMessage({ ...message, id }, transfer);
  });
}

/**
 * Configures a worker: { secretKey, carriage?, codec? } for a sender worker,
 * { linkedPublicKey, options?, carriage?, codec? } for a receiver worker
 * (carriage: 'envelope', the default, or 'in-band'; both ends must agree).
 * Resolves with the key's fingerprint (show it at pairing); rejects with the
 * reason the worker refused the key or an option (the worker then passes
 * nothing).
 */
export async function configure(worker, config) {
  const reply = await request(worker, { ...config, type: 'configure' });
  return own(reply, 'fingerprint');
}

/** Counts per transform: { [name]: { ... } }. */
export async function workerStats(worker) {
  return own(await request(worker, { type: 'stats' }), 'stats');
}

/**
 * Puts `worker` between `target` (an RTCRtpSender or RTCRtpReceiver) and the
 * network or the decoder. `name` labels the transform in the stats.
 * `mode` forces 'script-transform' or 'encoded-streams'. Resolves with the
 * mode used.
 */
export async function protect(target, worker, how = undefined) {
  const name = own(how, 'name');
  const mode = own(how, 'mode') ?? encodedTransformSupport();
  const options = name === undefined ? {} : { name };
  if (mode === 'script-transform') {
    const ScriptTransform = platform('RTCRtpScriptTransform');
    if (typeof ScriptTransform !== 'function') throw new Error('this browser has no RTCRtpScriptTransform');
    target.transform = new ScriptTransform(worker, options);
    return mode;
  }
  if (mode === 'encoded-streams') {
    if (typeof target.createEncodedStreams !== 'function') throw new Error('this browser has no createEncodedStreams()');
    // Throws unless the RTCPeerConnection has { encodedInsertableStreams: true }.
    const { readable, writable } = target.createEncodedStreams();
    await request(worker, { type: 'streams', readable, writable, options }, [readable, writable]);
    return mode;
  }
  throw new Error(mode == null ? 'this browser has no encoded transform API' : `unknown mode ${JSON.stringify(mode)}`);
}
