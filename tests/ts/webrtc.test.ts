// Type-checks pkg/webrtc/index.d.ts (js/webrtc/index.d.ts): the workers'
// configurations (carriage, codec), their stats and the page helpers.
import {
  createSenderWorker, createReceiverWorker, configure, protect, workerStats, envelopeCodecs, inBandCodecs,
  type Carriage, type ReceiverTransformStats, type SenderTransformStats,
} from '../../pkg/webrtc/index.js';

export async function inBand(pc: RTCPeerConnection, track: MediaStreamTrack, secretKey: Uint8Array, linkedPublicKey: Uint8Array): Promise<void> {
  const sender = createSenderWorker({ build: 'auto' });
  const receiver = createReceiverWorker();
  const carriage: Carriage = 'in-band';
  await configure(sender, { secretKey, carriage });
  await configure(receiver, { linkedPublicKey, carriage, codec: 'h264', options: { replayWindow: 64 } });
  const transceiver = pc.addTransceiver(track, { direction: 'sendonly' });
  transceiver.setCodecPreferences(inBandCodecs());
  await protect(transceiver.sender, sender, { name: 'video' });
  const stats = await workerStats(receiver);
  const video = stats['video'] as ReceiverTransformStats;
  const skipped: number | undefined = video.skippedUntilKeyframe;
  const requests: number | undefined = video.keyFrameRequests;
  const unsigned: number | undefined = video.dropped?.unsigned;
  const sent = (await workerStats(sender))['video'] as SenderTransformStats;
  console.log(skipped, requests, unsigned, sent.unsupportedCodec, envelopeCodecs().length);
  // @ts-expect-error: not a carriage
  await configure(sender, { secretKey, carriage: 'inband' });
  // @ts-expect-error: no in-band carriage for VP8
  await configure(receiver, { linkedPublicKey, carriage, codec: 'vp8' });
}
