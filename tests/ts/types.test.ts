// Compile-time checks of pkg/frameseal.d.ts (SPEC §4): run `npx tsc -p tests/ts`.
// Nothing here runs; every `@ts-expect-error` line must be a type error
// (tsc fails if one of them stops being an error).
import init, { initSync, Verifier, Signer, fingerprint } from '../../pkg/frameseal.js';
import type {
  Accepted, CodecName, Dropped, DropReason, FrameOptions, RotationOptions,
  VerifierOptions, VerifierStats, VerifyResult,
} from '../../pkg/frameseal.js';

declare const bytes: Uint8Array;

// The module loaders.
const loading: Promise<unknown> = init();
const output = initSync({ module: bytes });
const memory: WebAssembly.Memory = output.memory;

// Options are typed, and every field is optional.
const all: VerifierOptions = {
  maxAgeMs: 10_000,
  maxFutureSkewMs: null,
  replayWindow: 64,
  streamId: new Uint8Array(16),
  maxPayloadBytes: 1 << 20,
  now: () => Date.now(),
  allowRotation: false,
};
const none: VerifierOptions = {};
// @ts-expect-error a typo is not an option
const typo: VerifierOptions = { maxAge: 10_000 };
// @ts-expect-error maxAgeMs is a number or null
const stringAge: VerifierOptions = { maxAgeMs: '10000' };
// @ts-expect-error replayWindow cannot be switched off with null
const nullWindow: VerifierOptions = { replayWindow: null };
// @ts-expect-error streamId is bytes
const hexStream: VerifierOptions = { streamId: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf' };
// @ts-expect-error now is a function returning a number
const badClock: VerifierOptions = { now: () => new Date() };
// @ts-expect-error allowRotation is a boolean
const badRotation: VerifierOptions = { allowRotation: 'yes' };

const signer: Signer = Signer.generate();
const key: Uint8Array = signer.publicKey;
const v = new Verifier(key, all);
new Verifier(key, none);
// @ts-expect-error the key is a Uint8Array
new Verifier('79b5562e8fe654f94078b112e8a98ba7', none);

// Narrowing the result on `ok`.
const result: VerifyResult = v.verify(bytes);
if (result.ok) {
  const accepted: Accepted = result;
  const payload: Uint8Array = result.payload;
  const seq: number = result.seq;
  const timestampUs: number = result.timestampUs;
  const flags: boolean = result.keyframe && result.endOfStream;
  const codec: CodecName = result.codec;
  const streamId: Uint8Array = result.streamId;
  const rotatedTo: Uint8Array | undefined = result.newPublicKey;
  // @ts-expect-error an accepted frame has no reason
  result.reason;
} else {
  const dropped: Dropped = result;
  const reason: DropReason = result.reason;
  // @ts-expect-error a dropped frame has no payload
  result.payload;
}
// @ts-expect-error without narrowing, payload may not exist
v.verify(bytes).payload;

// A burst: one VerifyResult per frame.
const burst: VerifyResult[] = v.verifyBatch([bytes, bytes]);
if (burst[0]?.ok) { const first: Uint8Array = burst[0].payload; }
// @ts-expect-error frames are Uint8Arrays
v.verifyBatch(['frame']);

// `reason` is the literal union of SPEC §3, nothing else.
const reasons: DropReason[] = [
  'malformed', 'unsupported-version', 'too-large', 'foreign-key', 'bad-signature',
  'wrong-stream', 'stale', 'future', 'replayed', 'bad-rotation',
];
// @ts-expect-error not a drop reason
const bogus: DropReason = 'bogus';
// @ts-expect-error not a codec name
const mjpeg: CodecName = 'mjpeg';
function describe(reason: DropReason): string {
  switch (reason) {
    case 'malformed': case 'unsupported-version': case 'too-large': return 'bad bytes';
    case 'unsigned': return 'no seal in the video';
    case 'foreign-key': case 'bad-signature': return 'not our camera';
    case 'wrong-stream': case 'stale': case 'future': case 'replayed': return 'not now';
    case 'bad-rotation': return 'refused rotation';
    default: {
      const exhaustive: never = reason;
      return exhaustive;
    }
  }
}

// Stats carry every reason.
const stats: VerifierStats = v.stats();
const count: number = stats.accepted + stats.dropped['bad-signature'];
// @ts-expect-error no such reason in the stats
stats.dropped.bogus;

// linkedPublicKey is a read-only Uint8Array.
const linked: Uint8Array = v.linkedPublicKey;
// @ts-expect-error read-only
v.linkedPublicKey = key;

// Signer and fingerprint.
const frameOptions: FrameOptions = { streamId: new Uint8Array(16), seq: 1n, timestampUs: 0, keyframe: true, codec: 'jpeg' };
const frame: Uint8Array = signer.signFrame(bytes, frameOptions);
// @ts-expect-error codec must be a CodecName
signer.signFrame(bytes, { codec: 'mjpeg' });
const rotationOptions: RotationOptions = { seq: 2, timestampUs: 0n };
const rotation: Uint8Array = signer.signRotation(new Signer(new Uint8Array(32)), rotationOptions);
// @ts-expect-error the next key is a Signer, not its public key
signer.signRotation(key, rotationOptions);
// @ts-expect-error rotation frames take no codec
signer.signRotation(signer, { codec: 'jpeg' });
const print: string = fingerprint(key);
// @ts-expect-error fingerprint takes bytes
fingerprint('x');

export { loading, memory, typo, stringAge, nullWindow, hexStream, badClock, badRotation, describe, reasons, bogus, mjpeg, count, linked, frame, rotation, print };
