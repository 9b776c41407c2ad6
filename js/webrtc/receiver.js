// frameseal receiver transform: a module worker (ships as
// pkg/webrtc/receiver.js) that verifies every received encoded frame against
// the linked camera key and passes on only the accepted ones to the decoder.
// Every other frame (foreign, forged, replayed, stale, unsigned, ...) is
// simply not enqueued: the decoder never sees it, and the drop is counted by
// reason. Two carriages, as the sender's (sender.js):
//   - 'envelope' (default): frames are frameseal frames (Verifier.verify);
//     an accepted one is passed on unwrapped.
//   - 'in-band': frames are H.264 / H.265 access units (Annex B) or AV1
//     temporal units with the seal inside (Verifier.verifyUnit). Accepted
//     units go on as they are, under the reference-chain rule of VideoGate
//     (SPEC §4): a delta unit only if its seq follows the last unit passed
//     on, a keyframe only if its seq is higher; after a gap (a lost, dropped
//     or forged unit) nothing until the next verified keyframe. Parameter
//     sets in a delta unit (not covered by its seal) are removed before it
//     goes on. After a drop or a gap the worker asks the camera for a
//     keyframe (RTCRtpScriptTransformer.sendKeyFrameRequest, at most once
//     per KEYFRAME_REQUEST_INTERVAL_MS); with createEncodedStreams() there is
//     no such call, and the browser's own jitter buffer asks when it starves.
//
//   const worker = new Worker(new URL('frameseal/webrtc/receiver.js', import.meta.url), { type: 'module' });
//   worker.postMessage({ type: 'configure', linkedPublicKey, options });
//   pc.ontrack = ({ receiver }) => { receiver.transform = new RTCRtpScriptTransform(worker, { name: 'video' }); };
//
// Configure message: { type: 'configure', linkedPublicKey: Uint8Array(32),
//   options?: VerifierOptions without `now` (functions cannot be posted),
//   carriage?: 'envelope' | 'in-band',
//   codec?: 'h264' | 'h265' | 'av1' }  // in-band: for frames whose MIME type is
//                                      // unknown (default: none, such frames are dropped)
// Each transform gets its own Verifier (its own stream pin and replay window).
// Stats per transform: the Verifier's { accepted, dropped: { [reason]: n } }
// plus { passed, codecMismatch, rotations, notConfigured, errors }; in-band
// also { skippedUntilKeyframe, keyFrameRequests }. codecMismatch counts frames
// dropped before verification because they are of another codec than the
// track's (envelope), or of a codec without in-band carriage (in-band).
// An accepted key-rotation frame (envelope carriage only) is not media: it
// is not enqueued, and the worker posts { type: 'rotated', name,
// newPublicKey } so the page can store the new key where it stored the
// linked one; later transforms link it too.

import { serve, codecOfMime, mimeTypeOf, own, ownBuffer, carriageOf, IN_BAND_LAYOUTS } from './worker.js';

const KNOWN = new Set(['type', 'id', 'linkedPublicKey', 'options', 'carriage', 'codec']);
/** At most one keyframe request per this many ms and transform (a flood of bad frames costs one a second). */
const KEYFRAME_REQUEST_INTERVAL_MS = 1000;

serve('receiver', (message, { Verifier, fingerprint, frameLayout }) => {
  for (const key of Object.keys(message)) {
    if (!KNOWN.has(key)) throw new Error(`configure: unknown field ${key} (known: linkedPublicKey, options, carriage, codec)`);
  }
  const options = own(message, 'options') ?? {};
  const linkedPublicKey = own(message, 'linkedPublicKey');
  const carriage = carriageOf(message);
  const fallbackCodec = own(message, 'codec') ?? null;
  if (fallbackCodec !== null && (typeof fallbackCodec !== 'string' || IN_BAND_LAYOUTS[fallbackCodec] === undefined)) {
    const got = typeof fallbackCodec === 'string' ? JSON.stringify(fallbackCodec) : `a ${typeof fallbackCodec}`;
    throw new Error(`configure: codec must be 'h264', 'h265' or 'av1', got ${got}`);
  }
  if (fallbackCodec !== null && carriage !== 'in-band') {
    throw new Error("configure: codec is for carriage: 'in-band' only (an envelope names its codec)");
  }
  // Validates the key and the options now, so the page hears about them.
  new Verifier(linkedPublicKey, options).free();
  const linked = { key: linkedPublicKey };
  const codecMismatches = codecCheck(frameLayout());
  if (carriage === 'in-band') {
    return {
      fingerprint: fingerprint(linked.key),
      open: (name, post, _options, link) => inBand(new Verifier(linked.key, options), fallbackCodec, name, post, link),
    };
  }
  return {
    fingerprint: fingerprint(linked.key),
    open(name, post) {
      const verifier = new Verifier(linked.key, options);
      let passed = 0;
      let codecMismatch = 0;
      let rotations = 0;
      return {
        frame(frame, controller) {
          const bytes = new Uint8Array(frame.data);
          if (codecMismatches(bytes, codecOfMime(mimeTypeOf(frame)))) {
            // A genuine frame of the camera's other track (or of a still
            // stream) is no picture for this decoder, and must not pin this
            // verifier's stream either: dropped before verification.
            codecMismatch++;
            return;
          }
          const r = verifier.verify(bytes);
          if (!r.ok) return;
          if (r.codec === 'key-rotation') {
            rotations++;
            linked.key = r.newPublicKey;
            post({ type: 'rotated', name, newPublicKey: r.newPublicKey, fingerprint: fingerprint(r.newPublicKey) });
            return;
          }
          frame.data = ownBuffer(r.payload);
          controller.enqueue(frame);
          passed++;
        },
        stats: () => ({ ...verifier.stats(), passed, codecMismatch, rotations }),
        close: () => verifier.free(),
      };
    },
  };
});

const MAGIC = [0x46, 0x53, 0x45, 0x41, 0x4c]; // 'FSEAL'

/**
 * `(bytes, expected)` => whether `bytes` is a frameseal frame (version 1 or
 * 2) of a media codec other than the track's (`expected`, null when the
 * track's codec is not known). Anything else is for the verifier to judge.
 * `layout`: the package's frameLayout() (codec bytes by name, field offsets).
 */
function codecCheck(layout) {
  const codecs = layout.codecs;
  const known = new Set(Object.values(codecs));
  const codecAt = layout.fields.codec[0];
  const versionAt = layout.fields.version[0];
  return (bytes, expected) => {
    if (expected === null || bytes.length <= codecAt) return false;
    for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return false;
    if (bytes[versionAt] !== 1 && bytes[versionAt] !== 2) return false;
    const codec = bytes[codecAt];
    return known.has(codec) && codec !== codecs[expected] && codec !== codecs['key-rotation'];
  };
}

/**
 * One transform's state in in-band carriage: verifies each frame as a unit
 * of its codec and passes on the accepted ones whose reference chain is
 * intact (see the top of this file).
 */
function inBand(verifier, fallbackCodec, name, post, link) {
  const chain = decodeChain();
  const counts = { passed: 0, codecMismatch: 0, rotations: 0, skippedUntilKeyframe: 0, keyFrameRequests: 0 };
  let lastRequest = -Infinity;
  let warned = false;
  const requestKeyFrame = () => {
    const send = link.sendKeyFrameRequest;
    const now = performance.now();
    if (send === null || now - lastRequest < KEYFRAME_REQUEST_INTERVAL_MS) return;
    lastRequest = now;
    Promise.resolve().then(send).then(() => { counts.keyFrameRequests++; }, (e) => {
      if (warned) return;
      warned = true;
      post({ type: 'warning', name, message: `${name}: the keyframe request failed: ${e && e.message ? e.message : e}` });
    });
  };
  return {
    frame(frame, controller) {
      const codec = codecOfMime(mimeTypeOf(frame)) ?? fallbackCodec;
      const layout = codec === null ? undefined : IN_BAND_LAYOUTS[codec];
      if (layout === undefined) {
        // VP8, VP9, audio, or a codec this browser does not name: no seal
        // can be found in it, and it must not reach a decoder either.
        counts.codecMismatch++;
        return;
      }
      const r = verifier.verifyUnit(new Uint8Array(frame.data), { codec, layout });
      if (!r.ok) {
        // Most often a lost camera picture: the deltas after it are skipped
        // until a keyframe, so ask for one now.
        requestKeyFrame();
        return;
      }
      if (!chain.admit(hex(r.streamId), r.seq, r.keyframe)) {
        counts.skippedUntilKeyframe++;
        requestKeyFrame();
        return;
      }
      if (!r.keyframe) {
        // Parameter sets in a delta unit are not covered by its seal: the
        // decoder only uses the ones a verified keyframe carried.
        const stripped = withoutParameterSets(new Uint8Array(frame.data), codec);
        if (stripped !== null) frame.data = ownBuffer(stripped);
      }
      controller.enqueue(frame);
      counts.passed++;
    },
    stats: () => ({ ...verifier.stats(), ...counts }),
    close: () => verifier.free(),
  };
}

/**
 * The reference-chain rule of VideoGate (SPEC §4), for units already
 * verified: `admit(stream, seq, keyframe)` says whether one may go to the
 * decoder and records it if so. A delta must follow the last unit passed on
 * (same stream, seq + 1) with the chain unbroken; a keyframe must have a
 * higher seq (or start another stream). A skipped delta breaks the chain
 * until the next admitted keyframe.
 */
function decodeChain() {
  let last = null; // { stream, seq } of the last unit passed on
  let broken = false;
  return {
    admit(stream, seq, keyframe) {
      const same = last !== null && last.stream === stream;
      const follows = same && Number.isSafeInteger(last.seq + 1) && last.seq + 1 === seq;
      const admitted = keyframe ? !same || seq > last.seq : !broken && follows;
      if (admitted) {
        last = { stream, seq };
        if (keyframe) broken = false;
      } else if (!keyframe) {
        broken = true;
      }
      return admitted;
    },
  };
}

/** `bytes` as lower-case hex (a stream id as a comparable key). */
function hex(bytes) {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/** Whether a NAL unit, by its first header byte, is a parameter set (SPEC §6.3: H.264 SPS 7, PPS 8; H.265 VPS 32, SPS 33, PPS 34). */
const PARAMETER_SET = {
  __proto__: null,
  h264: (header) => (header & 0x1f) === 7 || (header & 0x1f) === 8,
  h265: (header) => ((header >> 1) & 0x3f) >= 32 && ((header >> 1) & 0x3f) <= 34,
};
const AV1_SEQUENCE_HEADER = 1;

/**
 * A delta unit without its parameter sets (H.264 / H.265: SPS, PPS, VPS
 * NAL units; AV1: sequence header OBUs), or null when it has none. The unit
 * was accepted by verifyUnit, so it splits; this reads it as a decoder does.
 */
function withoutParameterSets(unit, codec) {
  return codec === 'av1' ? obusWithout(unit) : annexBWithout(unit, PARAMETER_SET[codec]);
}

/**
 * Annex B `unit` without the NAL units `drop(headerByte)` picks, or null
 * when it picks none. NAL units are found as a decoder finds them, after
 * each `00 00 01`; the ones kept are written with 4-byte start codes,
 * without the trailing zero bytes between them.
 */
function annexBWithout(unit, drop) {
  const starts = [];
  for (let i = 0; i + 2 < unit.length; i++) {
    if (unit[i + 2] > 1) i += 2; // no start code can begin at i, i + 1 or i + 2
    else if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  if (!starts.some((at) => at < unit.length && drop(unit[at]))) return null;
  const kept = [];
  let length = 0;
  for (let k = 0; k < starts.length; k++) {
    const begin = starts[k];
    let end = k + 1 < starts.length ? starts[k + 1] - 3 : unit.length;
    while (end > begin && unit[end - 1] === 0) end--;
    if (end > begin && !drop(unit[begin])) {
      kept.push(unit.subarray(begin, end));
      length += 4 + end - begin;
    }
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const nal of kept) {
    out.set([0, 0, 0, 1], at);
    out.set(nal, at + 4);
    at += 4 + nal.length;
  }
  return out;
}

/**
 * An AV1 temporal unit (low-overhead OBUs; the last may lack its size
 * field) without its sequence header OBUs, or null when it has none.
 * Throws for a unit that does not split (the frame is then not passed on).
 */
function obusWithout(unit) {
  const parts = []; // [begin, end, dropped]
  let any = false;
  for (let at = 0; at < unit.length;) {
    const header = unit[at];
    const type = (header >> 3) & 0x0f;
    let p = at + 1 + ((header & 0x04) !== 0 ? 1 : 0);
    let end;
    if ((header & 0x02) !== 0) {
      // leb128 size, at most 8 bytes, below 2^32 (AV1 §4.10.5).
      let size = 0;
      for (let i = 0; ; i++) {
        if (i === 8 || p >= unit.length) throw new Error('an OBU size does not parse');
        const byte = unit[p++];
        size += (byte & 0x7f) * 2 ** (7 * i);
        if ((byte & 0x80) === 0) break;
      }
      end = p + size;
    } else {
      end = unit.length;
    }
    if (p > unit.length || end > unit.length) throw new Error('an OBU runs past the unit');
    const dropped = type === AV1_SEQUENCE_HEADER;
    any ||= dropped;
    parts.push([at, end, dropped]);
    at = end;
  }
  if (!any) return null;
  const out = new Uint8Array(parts.reduce((n, [b, e, d]) => (d ? n : n + e - b), 0));
  let at = 0;
  for (const [b, e, d] of parts) {
    if (d) continue;
    out.set(unit.subarray(b, e), at);
    at += e - b;
  }
  return out;
}
