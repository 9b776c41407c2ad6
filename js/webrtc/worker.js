// Plumbing shared by sender.js and receiver.js (module workers; ships as
// pkg/webrtc/worker.js). Not an entry point of its own.
//
// A worker serves any number of encoded-frame transforms, attached either by
// RTCRtpScriptTransform (the `rtctransform` event) or, where that does not
// exist, by the page posting the streams of createEncodedStreams()
// ({ type: 'streams', readable, writable, options }). Each transform gets its
// own per-stream state (one Signer or one Verifier), built from the worker's
// configuration on its first frame.
//
// The worker loads the package through the loader (pkg/loader.js), as the
// GatePool's workers do, so an engine that refuses the modern build's
// features gets the WebAssembly 1.0 build (or, without WebAssembly, the JS
// build) here too. A forced build comes as `?build=` on the worker's URL
// ('auto' without it); the configured reply says which build runs.
//
// Messages from the page, each with an optional `id` that the reply repeats:
//   { type: 'configure', ... }  -> { type: 'configured', fingerprint, build } | { type: 'error', message }
//   { type: 'stats' }           -> { type: 'stats', stats: { [transformName]: {...} } }
//   { type: 'streams', readable, writable, options } -> { type: 'attached', name }
//
// Fails closed: until a configuration was accepted, and for any frame whose
// handling throws, the frame is not enqueued (so it never reaches the network
// or the decoder), and it is counted.

import { load, loadedBuild } from '../loader.js';

// Messages, transform options and configurations are read from their own
// properties only (SPEC §4), as everywhere in the package.
const hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
/** `object[key]` if `object` (any value) has that property itself, else undefined. */
export const own = (object, key) => (object !== null && object !== undefined && hasOwn(object, key) ? object[key] : undefined);

/**
 * Starts serving. `role` is 'sender' or 'receiver'; `configure(message,
 * frameseal)` validates a configure message with `frameseal`, the package
 * module the loader picked (initialised), and returns `{ fingerprint,
 * open(name, post, options, link) }`, where `open` builds one transform's
 * state: `{ frame(encodedFrame, controller), stats(), close() }`. `link`:
 * what the transform's attachment offers besides its frames,
 * `{ sendKeyFrameRequest }`: a function that asks the remote sender for a
 * keyframe (RTCRtpScriptTransformer.sendKeyFrameRequest, a receiver's
 * transform in a browser that has it) and returns its promise, or null
 * (createEncodedStreams() has no such call).
 */
export function serve(role, configure) {
  const forced = new URL(self.location.href).searchParams.get('build') ?? 'auto';
  // { frameseal: the package module, build: which one }
  const loaded = load({ build: forced }).then((frameseal) => ({ frameseal, build: loadedBuild }));
  loaded.catch(() => {}); // reported by the next configure
  let config = null; // the accepted configuration
  let generation = 0; // bumped by every accepted configure: states are rebuilt
  let configuring = null; // a configure in progress: frames wait for it
  let configures = 0;
  const transforms = new Map();
  let unnamed = 0;

  const post = (message) => self.postMessage(message);

  // Frees a transform's state (its Signer or Verifier), keeping its last counts.
  const retire = (entry) => {
    if (!entry.state) return;
    entry.last = entry.state.stats();
    entry.state.close();
    entry.state = null;
  };

  function attach(readable, writable, options, transformer = null) {
    const given = own(options, 'name');
    let name = typeof given === 'string' ? given : `${role}-${++unnamed}`;
    while (transforms.has(name)) name = `${name}+`;
    // A receiver's RTCRtpScriptTransformer can ask the remote sender for a keyframe.
    const keyFrameRequest = transformer !== null && typeof transformer.sendKeyFrameRequest === 'function'
      ? () => transformer.sendKeyFrameRequest()
      : null;
    const link = { sendKeyFrameRequest: keyFrameRequest };
    const entry = { name, options: options ?? {}, link, state: null, last: {}, generation: -1, notConfigured: 0, errors: 0 };
    transforms.set(name, entry);
    const stream = new TransformStream({
      async transform(frame, controller) {
        while (configuring) await configuring;
        if (!config) {
          entry.notConfigured++;
          return;
        }
        try {
          if (entry.generation !== generation) {
            // A new configuration: a new Signer or Verifier, counting from zero.
            retire(entry);
            entry.state = config.open(entry.name, post, entry.options, entry.link);
            entry.generation = generation;
          }
          entry.state.frame(frame, controller);
        } catch (e) {
          entry.errors++;
          if (entry.errors === 1) post({ type: 'transform-error', name: entry.name, message: messageOf(e) });
        }
      },
    });
    readable.pipeThrough(stream).pipeTo(writable).catch(() => {
      // The track ended or the connection closed.
    }).finally(() => retire(entry));
    return name;
  }

  function stats() {
    // Keyed by transform names, which the page chooses ('__proto__' too).
    const out = Object.create(null);
    for (const [name, e] of transforms) {
      out[name] = {
        ...(e.state ? e.state.stats() : e.last),
        notConfigured: e.notConfigured,
        errors: e.errors,
      };
    }
    return out;
  }

  self.addEventListener('rtctransform', (event) => {
    const t = event.transformer;
    attach(t.readable, t.writable, t.options, t);
  });

  self.addEventListener('message', async (event) => {
    const message = event.data ?? {};
    const reply = (m) => post({ ...m, id: own(message, 'id') });
    try {
      switch (own(message, 'type')) {
        case 'configure': {
          // Frames arriving meanwhile wait; a configure that fails leaves the
          // worker unconfigured (fail closed), not on the previous key. When
          // configures overlap, the last one posted wins.
          const mine = ++configures;
          let done;
          configuring = new Promise((resolve) => { done = resolve; });
          let accepted;
          let build;
          try {
            const pkg = await loaded.catch((e) => {
              throw new Error(`the frameseal module did not load: ${messageOf(e)}`);
            });
            build = pkg.build;
            accepted = configure(message, pkg.frameseal);
            if (mine === configures) config = accepted;
          } catch (e) {
            if (mine === configures) config = null;
            throw e;
          } finally {
            if (mine === configures) {
              generation++;
              configuring = null;
            }
            done();
          }
          reply({ type: 'configured', role, fingerprint: accepted.fingerprint, build });
          break;
        }
        case 'stats':
          reply({ type: 'stats', role, stats: stats() });
          break;
        case 'streams':
          reply({ type: 'attached', name: attach(own(message, 'readable'), own(message, 'writable'), own(message, 'options')) });
          break;
        default:
          reply({ type: 'error', message: `the frameseal ${role} worker does not know the message type ${JSON.stringify(own(message, 'type'))}` });
      }
    } catch (e) {
      reply({ type: 'error', message: messageOf(e) });
    }
  });
}

export function messageOf(e) {
  return e && e.message ? String(e.message) : String(e);
}

/** frameseal codec name of an encoded frame's MIME type ('video/VP8' -> 'vp8'), or null. */
export function codecOfMime(mimeType) {
  switch (typeof mimeType === 'string' ? mimeType.toLowerCase() : '') {
    case 'video/vp8': return 'vp8';
    case 'video/vp9': return 'vp9';
    case 'video/h264': return 'h264';
    case 'video/h265': return 'h265';
    case 'video/av1': return 'av1';
    default: return null;
  }
}

/**
 * The codecs with in-band carriage (SPEC §6.3) and the layout WebRTC hands
 * their encoded frames over in: H.264 and H.265 access units with start
 * codes (Annex B), AV1 temporal units as low-overhead OBUs.
 */
export const IN_BAND_LAYOUTS = Object.freeze({ __proto__: null, h264: 'annexb', h265: 'annexb', av1: 'obu' });

/** The `carriage` field of a configure message: 'envelope' (default) or 'in-band'. */
export function carriageOf(message) {
  const carriage = own(message, 'carriage') ?? 'envelope';
  if (carriage !== 'envelope' && carriage !== 'in-band') {
    const got = typeof carriage === 'string' ? JSON.stringify(carriage) : `a ${typeof carriage}`;
    throw new Error(`configure: carriage must be 'envelope' or 'in-band', got ${got}`);
  }
  return carriage;
}

/** The MIME type in an encoded frame's metadata, or null. */
export function mimeTypeOf(frame) {
  try {
    const m = typeof frame.getMetadata === 'function' ? frame.getMetadata() : null;
    const mimeType = own(m, 'mimeType');
    return typeof mimeType === 'string' ? mimeType : null;
  } catch (_) {
    return null;
  }
}

/** `bytes` in an ArrayBuffer of its own, as RTCEncoded*Frame.data wants. */
export function ownBuffer(bytes) {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    && bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : bytes.slice().buffer;
}
