// frameseal sender transform: a module worker (ships as pkg/webrtc/sender.js)
// that wraps every encoded frame a camera page sends into a signed frameseal
// frame (docs/FORMAT.md): codec from the frame's MIME type, KEYFRAME from the
// frame's type, seq +1 per frame, timestamp = now.
//
//   const worker = new Worker(new URL('frameseal/webrtc/sender.js', import.meta.url), { type: 'module' });
//   worker.postMessage({ type: 'configure', secretKey });   // Uint8Array(32), the camera's key
//   sender.transform = new RTCRtpScriptTransform(worker, { name: 'video' });
//
// Configure message: { type: 'configure', secretKey: Uint8Array(32),
//   codec?: CodecName }   // codec: only for frames whose MIME type is unknown
//                         // (default 'opaque'; a video MIME type always wins)
// Each transform signs with its own Signer: same key, its own random stream
// id, so the receiver's replay window and stream pin work per track.
// Stats per transform: { signed, keyframes, notConfigured, errors }.

import { serve, codecOfMime, mimeTypeOf, own, ownBuffer } from './worker.js';

const KNOWN = new Set(['type', 'id', 'secretKey', 'codec']);
// Codecs whose RTP packetizer carries the encoded frame as opaque bytes, so
// the envelope arrives as it was signed. H.264, H.265 and AV1 packetizers
// split and rebuild the payload along NAL units / OBUs: their frames fail
// verification (malformed) at the receiver.
const ENVELOPE_SAFE = new Set(['vp8', 'vp9', 'opaque']);

serve('sender', (message, { Signer, fingerprint }) => {
  for (const key of Object.keys(message)) {
    if (!KNOWN.has(key)) throw new Error(`configure: unknown field ${key} (known: secretKey, codec)`);
  }
  const secretKey = own(message, 'secretKey');
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
      let signed = 0;
      let keyframes = 0;
      let warned = false;
      return {
        frame(frame, controller) {
          const keyframe = frame.type === 'key';
          const codec = codecOfMime(mimeTypeOf(frame)) ?? fallbackCodec;
          if (!warned && !ENVELOPE_SAFE.has(codec)) {
            warned = true;
            post({ type: 'warning', name, message: `${name}: ${codec} frames are sent, but WebRTC's ${codec} `
              + 'packetizer rebuilds the payload, so the receiver cannot verify them and shows nothing: '
              + 'negotiate VP8 or VP9 (envelopeCodecs() in frameseal/webrtc)' });
          }
          const wrapped = signer.signFrame(new Uint8Array(frame.data), { codec, keyframe });
          frame.data = ownBuffer(wrapped);
          controller.enqueue(frame);
          signed++;
          if (keyframe) keyframes++;
        },
        stats: () => ({ signed, keyframes }),
        close: () => signer.free(),
      };
    },
  };
});
