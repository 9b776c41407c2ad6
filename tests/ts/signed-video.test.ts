// Type-checks pkg/signed-video/frameseal_signed_video.d.ts (SignedVideoGate,
// SignedVideoMseGate, SignedVideoFragmentFilter; frameseal/signed-video):
// its pictures go to WebCodecs as they are, its segments to a SourceBuffer,
// its options (SignedVideoMseGate's liveness ones as MseGate's), reports and
// stats have the documented shapes.
import init, {
  SignedVideoFragmentFilter,
  SignedVideoGate,
  SignedVideoMseGate,
  type SignedVideoDropReason,
  type SignedVideoFilteredSegment,
  type SignedVideoMseAppendResult,
  type SignedVideoMseGateOptions,
  type SignedVideoMseGateStats,
  type SignedVideoGopReport,
  type SignedVideoMp4,
  type SignedVideoVerdict,
} from '../../pkg/signed-video/frameseal_signed_video.js';

export async function playRecording(file: Uint8Array, spkiPem: string, canvas: HTMLCanvasElement): Promise<number> {
  await init();
  const ctx = canvas.getContext('2d');
  const out: SignedVideoMp4 = SignedVideoGate.mp4(file, { trustKey: spkiPem, at: Date.now() });
  const decoder = new VideoDecoder({ output: (f) => { ctx?.drawImage(f, 0, 0); f.close(); }, error: console.error });
  decoder.configure(out.decoderConfig);
  for (const p of out.pictures) decoder.decode(new EncodedVideoChunk(p));
  await decoder.flush();
  const tampered: number = out.stats.dropped.tampered;
  const verdicts: SignedVideoVerdict[] = out.reports.map((r: SignedVideoGopReport) => r.verdict);
  void verdicts;
  return tampered + (out.info.publicKeyFingerprint?.length ?? 0);
}

export function live(decoder: VideoDecoder, blank: (from: number, frames: number) => void): SignedVideoGate {
  const gate = new SignedVideoGate({
    codec: 'h265',
    layout: 'avcc',
    config: new Uint8Array(23),
    mode: 'mark',
    onGop: (r) => { if (r.verdict !== 'authentic') blank(r.firstFrame, r.frames); },
  });
  for (const p of gate.push(new Uint8Array(8), { timestamp: 0 })) {
    decoder.decode(new EncodedVideoChunk({ type: p.type, timestamp: p.timestamp, data: p.data }));
  }
  gate.push(new Uint8Array(8));
  const reason: SignedVideoDropReason = 'not-covered';
  const held: number = gate.stats().held + gate.stats().dropped[reason];
  void held;
  return gate;
}

export function fragments(init: Uint8Array, segments: Uint8Array[], decoder: VideoDecoder): number {
  const gate = SignedVideoGate.fromInitSegment(init, { trustCa: '-----BEGIN CERTIFICATE-----', at: 0 });
  const config = gate.decoderConfig();
  if (config) decoder.configure(config);
  for (const s of segments) for (const p of gate.pushFragment(s)) decoder.decode(new EncodedVideoChunk(p));
  return gate.stats().malformed;
}

export async function mse(video: HTMLVideoElement, feed: AsyncIterable<Uint8Array>): Promise<SignedVideoMseGateStats> {
  const gate = new SignedVideoMseGate(video, { trustKey: new Uint8Array(91), onGop: (r) => console.log(r.verdict) });
  for await (const bytes of feed) {
    const r: SignedVideoMseAppendResult = await gate.append(bytes);
    const appended: number = r.appended + r.reports.length;
    void appended;
  }
  const mime: string | null = gate.mimeType;
  const live: boolean = gate.live;
  void mime; void live;
  await gate.finish();
  const stats = gate.stats();
  const drawn: number = stats.drawn + stats.appended + stats.dropped.tampered;
  void drawn;
  gate.close();
  return stats;
}

export function liveness(video: HTMLVideoElement, onStall: (ms: number) => void, onResume: () => void): SignedVideoMseGate {
  const options: SignedVideoMseGateOptions = { mode: 'hold', stallAfterMs: 10_000, onStall, onResume };
  const gate = new SignedVideoMseGate(video, options);
  // null switches the stall check off, as MseGate's option does.
  const never = new SignedVideoMseGate(video, { stallAfterMs: null, onStall: (ms: number) => console.log(ms) });
  never.close();
  // @ts-expect-error: stallAfterMs is a number of ms
  new SignedVideoMseGate(video, { stallAfterMs: '3s' });
  // @ts-expect-error: onResume is a function
  new SignedVideoMseGate(video, { onResume: 'resume' });
  return gate;
}

export function ownSourceBuffer(buffer: SourceBuffer, segment: Uint8Array): number {
  const filter = new SignedVideoFragmentFilter({ mode: 'hold' });
  const out: SignedVideoFilteredSegment = filter.filter(segment);
  // Fresh (never shared) buffers; the package's types say Uint8Array, as
  // FilteredSegment's do, and TypeScript 5.7's DOM types want them narrowed.
  if (out.init) buffer.appendBuffer(out.init as Uint8Array<ArrayBuffer>);
  if (out.bytes) buffer.appendBuffer(out.bytes as Uint8Array<ArrayBuffer>);
  const first = out.pictures[0];
  const key: boolean = first?.type === 'key';
  void key;
  return filter.stats().appended + (filter.info()?.publicKeyFingerprint?.length ?? 0) + filter.finish().pictures.length;
}
