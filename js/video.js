// WebCodecs I/O for VideoGate. Only effects live here: which frames reach the
// decoder is decided in Rust (src/video.rs), after verification.

export function hasVideoDecoder() {
  return typeof VideoDecoder === 'function' && typeof EncodedVideoChunk === 'function';
}

export function createDecoder(output, error) {
  return new VideoDecoder({ output, error });
}

export function configureDecoder(decoder, codec) {
  decoder.configure({ codec, optimizeForLatency: true });
}

export function decodeChunk(decoder, keyframe, timestampUs, data) {
  decoder.decode(new EncodedVideoChunk({ type: keyframe ? 'key' : 'delta', timestamp: timestampUs, data }));
}

export function flushDecoder(decoder) {
  return decoder.flush();
}

export function closeDecoder(decoder) {
  if (decoder.state !== 'closed') decoder.close();
}

export function frameTimestamp(frame) {
  return frame.timestamp;
}

export function errorMessage(e) {
  return e && e.message ? String(e.message) : String(e);
}
