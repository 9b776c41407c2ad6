// Compile-time checks of the FrameReader / frameReaderStream types in
// pkg/frameseal.d.ts (issue 5): run `npx tsc -p tests/ts`. Nothing here
// runs; every `@ts-expect-error` line must be a type error.
import { FrameReader, frameReaderStream } from '../../pkg/frameseal.js';
import type { FrameReaderStats, VerifierStats, VerifyResult } from '../../pkg/frameseal.js';

declare const key: Uint8Array;
declare const chunk: Uint8Array;
declare const response: Response;

const reader = new FrameReader(key);
const withOptions = new FrameReader(key, { maxPayloadBytes: 1 << 20, replayWindow: 0 });
const results: VerifyResult[] = reader.push(chunk);
const rest: VerifyResult[] = reader.finish();
for (const r of results) {
  if (r.ok) {
    const payload: Uint8Array = r.payload;
  } else {
    const reason: string = r.reason;
  }
}

const stats: FrameReaderStats = reader.stats();
const asVerifier: VerifierStats = stats;
const skipped: number = stats.skippedBytes;
const counts: number[] = [stats.inputBytes, stats.frames, stats.resyncs, stats.bufferedBytes];
const linked: Uint8Array = reader.linkedPublicKey;

const stream: TransformStream<Uint8Array, VerifyResult> = frameReaderStream(key, { maxAgeMs: null });
const piped: ReadableStream<VerifyResult> = response.body!.pipeThrough(frameReaderStream(key));

// @ts-expect-error a chunk is bytes
reader.push('bytes');
// @ts-expect-error options are VerifierOptions
new FrameReader(key, { maxAge: 1 });
// @ts-expect-error stats has no such field
const nope: number = reader.stats().skipped;
