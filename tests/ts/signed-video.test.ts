// Type-checks pkg/signed-video/frameseal_signed_video.d.ts (SignedVideoGate,
// frameseal/signed-video): its pictures go to WebCodecs as they are, its
// options, reports and stats have the documented shapes.
import init, {
  SignedVideoGate,
  type SignedVideoDropReason,
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
