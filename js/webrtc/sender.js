// frameseal sender transform: a module worker (ships as pkg/webrtc/sender.js)
// that signs every encoded frame a camera page sends: KEYFRAME from the
// frame's type, seq +1 per frame, timestamp = now. Two carriages:
//   - 'envelope' (default): each frame is wrapped into a signed frameseal
//     frame (docs/FORMAT.md), codec from the frame's MIME type. Only VP8 and
//     VP9 frames survive WebRTC's packetizers as they were signed.
//   - 'in-band': the seal goes inside the bitstream (SPEC §6.3): an H.264 or
//     H.265 access unit (Annex B, as WebRTC hands them over) gets one SEI NAL
//     unit, an AV1 temporal unit one metadata OBU. The stream stays a valid
//     stream of its codec, so it survives the packetizer, and a receiver
//     without frameseal still decodes it.
//
//   const worker = new Worker(new URL('frameseal/webrtc/sender.js', import.meta.url), { type: 'module' });
//   worker.postMessage({ type: 'configure', secretKey, carriage: 'in-band' });   // secretKey: Uint8Array(32)
//   sender.transform = new RTCRtpScriptTransform(worker, { name: 'video' });
//
// Configure message: { type: 'configure', secretKey: Uint8Array(32),
//   carriage?: 'envelope' | 'in-band',
//   codec?: CodecName }   // codec: only for frames whose MIME type is unknown
//                         // (default 'opaque'; a video MIME type always wins)
// Each transform signs with its own Signer: same key, its own random stream
// id, so the receiver's replay window and stream pin work per track.
// Stats per transform: { signed, keyframes, notConfigured, errors }, and in
// in-band carriage { unsupportedCodec }: frames of a codec without in-band
// carriage (VP8, VP9, audio), which are not sent (fail closed; the worker
// posts one warning per transform).

import { serve, codecOfMime, mimeTypeOf, own, ownBuffer, carriageOf, IN_BAND_LAYOUTS } from './worker.js';

const KNOWN = new Set(['type', 'id', 'secretKey', 'carriage', 'codec']);
// Codecs whose RTP packetizer carries the encoded frame as opaque bytes, so
// the envelope arrives as it was signed. H.264, H.265 and AV1 packetizers
// split and rebuild the payload along NAL units / OBUs: their frames fail
// verification (malformed) at the receiver.
const ENVELOPE_SAFE = new Set(['vp8', 'vp9', 'opaque']);

serve('sender', (message, { Signer, fingerprint }) => {
  for (const key of Object.keys(message)) {
    if (!KNOWN.has(key)) throw new Error(`configure: unknown field ${key} (known: secretKey, carriage, codec)`);
  }
  const secretKey = own(message, 'secretKey');
  const carriage = carriageOf(message);
  const fallbackCodec = own(message, 'codec') ?? 'opaque';
  // Validates the key and the codec name now, so the page hears about them.
  const probe = new Signer(secretKey);
  probe.signFrame(new Uint8Array(0), { codec: fallbackCodec });
  const publicKey = probe.publicKey;
  probe.free();
  return {
    fingerprint: fingerprint(publicKey),
    open(name, post) {
      const signer = new Signer(secretKey);
      const counts = { signed: 0, keyframes: 0 };
      if (carriage === 'in-band') counts.unsupportedCodec = 0;
      let warned = false;
      const warn = (text) => {
        if (warned) return;
        warned = true;
        post({ type: 'warning', name, message: `${name}: ${text}` });
      };
      const envelope = (frame, codec, keyframe) => {
        if (!ENVELOPE_SAFE.has(codec)) {
          warn(`${codec} frames are sent, but WebRTC's ${codec} packetizer rebuilds the payload, so the `
            + 'receiver cannot verify them and shows nothing: negotiate VP8 or VP9 (envelopeCodecs() in '
            + "frameseal/webrtc), or use carriage: 'in-band'");
        }
        return signer.signFrame(new Uint8Array(frame.data), { codec, keyframe });
      };
      const inBand = (frame, codec, keyframe) => {
        const layout = IN_BAND_LAYOUTS[codec];
        if (layout === undefined) {
          counts.unsupportedCodec++;
          warn(`${codec} frames have no in-band carriage and are not sent: negotiate H.264, H.265 or AV1 `
            + "(inBandCodecs() in frameseal/webrtc), or use carriage: 'envelope'");
          return null;
        }
        return signer.sealUnit(new Uint8Array(frame.data), { codec, layout, keyframe });
      };
      const seal = carriage === 'in-band' ? inBand : envelope;
      return {
        frame(frame, controller) {
          const keyframe = frame.type === 'key';
          const codec = codecOfMime(mimeTypeOf(frame)) ?? fallbackCodec;
          const signed = seal(frame, codec, keyframe);
          if (signed === null) return;
          frame.data = ownBuffer(signed);
          controller.enqueue(frame);
          counts.signed++;
          if (keyframe) counts.keyframes++;
        },
        stats: () => ({ ...counts }),
        close: () => signer.free(),
      };
    },
  };
});
