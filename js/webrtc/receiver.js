// frameseal receiver transform: a module worker (ships as
// pkg/webrtc/receiver.js) that verifies every received encoded frame against
// the linked camera key and passes on only the accepted ones, unwrapped, to
// the decoder. Every other frame (foreign, forged, replayed, stale, without
// a frameseal envelope, ...) is simply not enqueued: the decoder never sees
// it, and the drop is counted by reason.
//
//   const worker = new Worker(new URL('frameseal/webrtc/receiver.js', import.meta.url), { type: 'module' });
//   worker.postMessage({ type: 'configure', linkedPublicKey, options });
//   pc.ontrack = ({ receiver }) => { receiver.transform = new RTCRtpScriptTransform(worker, { name: 'video' }); };
//
// Configure message: { type: 'configure', linkedPublicKey: Uint8Array(32),
//   options?: VerifierOptions without `now` (functions cannot be posted) }
// Each transform gets its own Verifier (its own stream pin and replay window).
// Stats per transform: the Verifier's { accepted, dropped: { [reason]: n } }
// plus { passed, codecMismatch, rotations, notConfigured, errors }.
// An accepted key-rotation frame is not media: it is not enqueued, and the
// worker posts { type: 'rotated', name, newPublicKey } so the page can store
// the new key where it stored the linked one; later transforms link it too.

import { serve, codecOfMime, mimeTypeOf, own, ownBuffer } from './worker.js';

const KNOWN = new Set(['type', 'id', 'linkedPublicKey', 'options']);

serve('receiver', (message, { Verifier, fingerprint, frameLayout }) => {
  for (const key of Object.keys(message)) {
    if (!KNOWN.has(key)) throw new Error(`configure: unknown field ${key} (known: linkedPublicKey, options)`);
  }
  const options = own(message, 'options') ?? {};
  const linkedPublicKey = own(message, 'linkedPublicKey');
  // Validates the key and the options now, so the page hears about them.
  new Verifier(linkedPublicKey, options).free();
  const linked = { key: linkedPublicKey };
  const codecMismatches = codecCheck(frameLayout());
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
