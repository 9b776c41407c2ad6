// Types of 'frameseal/webrtc' (pkg/webrtc/index.js).
import type { CodecName, VerifierOptions, VerifierStats } from '../frameseal.js';

/** How a worker is put between an RTCRtpSender/RTCRtpReceiver and the network or decoder. */
export type EncodedTransformMode = 'script-transform' | 'encoded-streams';

/** Which build of the package a worker loads (frameseal/loader): 'auto' lets the loader pick. */
export interface WorkerBuildOptions {
  /** 'auto' (default): the build the loader picks for this engine; or force 'modern', 'mvp' or 'js'. */
  build?: 'auto' | 'modern' | 'mvp' | 'js';
}

/** A new module worker running frameseal/webrtc/sender.js. */
export function createSenderWorker(options?: WorkerBuildOptions): Worker;
/** A new module worker running frameseal/webrtc/receiver.js. */
export function createReceiverWorker(options?: WorkerBuildOptions): Worker;
/** The mode `protect` picks in this browser, or null when it has neither API. */
export function encodedTransformSupport(): EncodedTransformMode | null;

/**
 * The video codecs a frameseal envelope survives (VP8, VP9, and rtx/red/ulpfec):
 * for `transceiver.setCodecPreferences(envelopeCodecs())`.
 */
export function envelopeCodecs(): RTCRtpCodec[];

/**
 * The video codecs with in-band carriage (H.264, H.265, AV1, and rtx/red/ulpfec):
 * for `transceiver.setCodecPreferences(inBandCodecs())` with `carriage: 'in-band'`.
 */
export function inBandCodecs(): RTCRtpCodec[];

/**
 * How the signature travels; both ends must agree. 'envelope': each encoded
 * frame is wrapped into a frameseal frame (VP8 and VP9 only survive WebRTC's
 * packetizers). 'in-band': the seal goes inside the bitstream (SPEC §6.3: an
 * SEI NAL unit for H.264/H.265, a metadata OBU for AV1), which stays a valid
 * stream of its codec.
 */
export type Carriage = 'envelope' | 'in-band';

/** The codecs with in-band carriage, as a receiver's fallback `codec`. */
export type InBandCodec = 'h264' | 'h265' | 'av1';

/** Configuration of a sender worker. */
export interface SenderConfig {
  /** The camera's 32-byte Ed25519 secret key. */
  secretKey: Uint8Array;
  /** Default 'envelope'. In-band: frames of a codec without in-band carriage are not sent. */
  carriage?: Carriage;
  /** Codec for frames whose MIME type names no video codec (default 'opaque'). */
  codec?: CodecName;
}

/** Configuration of a receiver worker. */
export interface ReceiverConfig {
  /** The 32-byte public key linked at pairing. */
  linkedPublicKey: Uint8Array;
  /** Verifier options; `now` cannot be posted to a worker. */
  options?: Omit<VerifierOptions, 'now'>;
  /** Default 'envelope'. */
  carriage?: Carriage;
  /** In-band only: the codec of frames whose MIME type is unknown (default: none, such frames are dropped). */
  codec?: InBandCodec;
}

/** Configures a worker; resolves with the key's fingerprint, rejects with why it was refused. */
export function configure(worker: Worker, config: SenderConfig | ReceiverConfig): Promise<string>;

/** Counts of one sender transform. */
export interface SenderTransformStats {
  /** Frames signed and sent (in-band: sealed units). */
  signed?: number;
  keyframes?: number;
  /** In-band only: frames of a codec without in-band carriage (VP8, VP9, audio), not sent. */
  unsupportedCodec?: number;
  /** Frames not sent because the worker had no (valid) configuration. */
  notConfigured: number;
  /** Frames not sent because handling them threw. */
  errors: number;
}

/** Counts of one receiver transform. */
export interface ReceiverTransformStats extends Partial<VerifierStats> {
  /** Frames handed on to the decoder. */
  passed?: number;
  /**
   * Frames dropped before verification: envelope, frameseal frames of another
   * media codec than the track's; in-band, frames of a codec without in-band carriage.
   */
  codecMismatch?: number;
  /** Accepted key-rotation frames (envelope carriage only). */
  rotations?: number;
  /** In-band only: accepted units not passed on because their reference chain was broken (SPEC §4). */
  skippedUntilKeyframe?: number;
  /** In-band only: keyframe requests sent to the camera after a drop or a gap (RTCRtpScriptTransform only). */
  keyFrameRequests?: number;
  notConfigured: number;
  errors: number;
}

/** Counts per transform name. */
export function workerStats(worker: Worker): Promise<Record<string, SenderTransformStats | ReceiverTransformStats>>;

/** Attaches `worker` to `target`; resolves with the mode used. */
export function protect(
  target: RTCRtpSender | RTCRtpReceiver,
  worker: Worker,
  options?: { name?: string; mode?: EncodedTransformMode },
): Promise<EncodedTransformMode>;

/** Posts a message to a frameseal worker and resolves with its reply. */
export function request(worker: Worker, message: object, transfer?: Transferable[]): Promise<any>;
