// WebCodecs I/O for VideoGate. Only effects live here: which frames reach the
// decoder is decided in Rust (src/video.rs), after verification.
//
// SPEC §4: nothing a script puts on Object.prototype may reach the decoder.
// The dictionaries given to WebCodecs have no prototype (the browser reads
// every member it knows, inherited ones too: `description`, `flip`,
// `rotation`, `transfer`, ...), and VideoDecoder / EncodedVideoChunk must be
// the browser's own, not an Object.prototype.VideoDecoder in a browser
// without WebCodecs. ES2017 (this file is part of the WebAssembly 1.0 build).

var hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
var root = typeof globalThis !== 'undefined' ? globalThis : (typeof self !== 'undefined' ? self : undefined);

/** The global `name` if it is the global object's own property (the browser's), else undefined. */
function platform(name) {
  return root !== undefined && hasOwn(root, name) ? root[name] : undefined;
}

/** A dictionary with these members and no prototype. */
function dictionary(members) {
  return Object.assign(Object.create(null), members);
}

export function hasVideoDecoder() {
  return typeof VideoDecoder === 'function' && platform('VideoDecoder') === VideoDecoder
    && typeof EncodedVideoChunk === 'function' && platform('EncodedVideoChunk') === EncodedVideoChunk;
}

export function createDecoder(output, error) {
  return new (platform('VideoDecoder'))(dictionary({ output: output, error: error }));
}

export function configureDecoder(decoder, codec, description) {
  var config = dictionary({ codec: codec, optimizeForLatency: true });
  // avcc / hvcc units: the configuration record, as MP4 carries it.
  if (description !== undefined) config.description = description;
  decoder.configure(config);
}

export function decodeChunk(decoder, keyframe, timestampUs, data) {
  var Chunk = platform('EncodedVideoChunk');
  decoder.decode(new Chunk(dictionary({ type: keyframe ? 'key' : 'delta', timestamp: timestampUs, data: data })));
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
