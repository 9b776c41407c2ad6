// frameseal relay demo: the video camera tile.
//
// Beside the server's still cameras, a camera made in this page: it draws an
// animated picture on an OffscreenCanvas, encodes it with WebCodecs
// (VideoEncoder, VP8, a keyframe every KEYFRAME_EVERY frames) and signs every
// encoded chunk with its own key (Signer: codec 'vp8', KEYFRAME from the
// chunk's type, timestamp from the chunk). A second camera, a stranger's,
// does the same with another key and another colour. An in-page relay, worked
// by the page's fault switches (VideoRelay, below), delivers the linked
// camera's chunks to two displays and, with the cache mix-up on, mixes the
// stranger's chunks in (and this camera's old ones):
// - protected: a VideoGate linked to the camera's public key; only verified
//   chunks with an intact reference chain reach its decoder;
// - unprotected: a plain VideoDecoder fed every chunk, as a naive viewer
//   would: it shows the stranger's pictures, and glitches.
// Without WebCodecs VP8 the tile says so and the rest of the page runs on.
import { Signer, VideoGate, fingerprint, pairingCode } from '../pkg/frameseal.js';
import {
  FrameCache, NaiveTally, corrupt, displayTiles, dropChips, el, fmt, makeCanvas, setLivePill, unchecked,
} from './shared.js';

// The stream the camera encodes; its size and rate, named, for the rest.
const ENCODER_CONFIG = {
  codec: 'vp8', width: 480, height: 270, bitrate: 500_000, framerate: 20, latencyMode: 'realtime',
};
const { width: WIDTH, height: HEIGHT, framerate: FPS } = ENCODER_CONFIG;
const KEYFRAME_EVERY = 30;
const MAX_ENCODE_QUEUE = 3; // a slow machine skips pictures rather than falling behind

// The picture's plain background: nothing is ever drawn at these points, so
// a test (and a person) can tell whose picture a screen shows by its colour.
const STAGE = { left: 40, top: 48, right: WIDTH - 40, bottom: HEIGHT - 40 };
export const PLAIN_POINTS = [[6, HEIGHT / 2], [WIDTH - 7, HEIGHT / 2], [WIDTH / 2, 5], [WIDTH / 2, HEIGHT - 6]];

const LOOKS = {
  linked: { name: 'HALLWAY', colour: '#17a8a0', shape: 'ball' },
  stranger: { name: 'STRANGER', colour: '#c2409a', shape: 'square' },
};

// The in-page relay's faults, per genuine chunk of the linked camera (see
// VideoRelay for why the page has a relay of its own).
const MIXUP_STRANGER = 0.25; // the stranger's newest chunk
const MIXUP_STRANGER_KEY = 0.06; // the stranger's newest keyframe, from the cache
const MIXUP_STALE = 0.05; // a cached chunk of this camera 11–25 s old
const MIXUP_REPLAY = 0.05; // a cached chunk of this camera from the last 8 s
const LOSS = 0.2;
const DUPLICATION = 0.25;
const REORDERING = 0.3;
const CORRUPTION = 0.15;
const DELAY_MS = [1000, 2500];
const CACHE_MS = 25_000;
const CACHE_MAX = 600;
// The unprotected screen's caption: what the bad chunks it decoded were.
const RAW_KINDS = { foreign: 'from the stranger', old: 'old or repeated', damaged: 'damaged' };

/** Why this browser cannot run the video camera, or null if it can. */
async function missingVp8() {
  if (typeof VideoEncoder !== 'function' || typeof VideoDecoder !== 'function'
    || typeof VideoFrame !== 'function' || typeof EncodedVideoChunk !== 'function') {
    return 'This browser has no WebCodecs (VideoEncoder / VideoDecoder; it needs a secure context such as ' +
      'localhost), so the page cannot make or show the video camera\u2019s VP8 frames. The still cameras above ' +
      'are unaffected.';
  }
  try {
    const [enc, dec] = await Promise.all([
      VideoEncoder.isConfigSupported(ENCODER_CONFIG),
      VideoDecoder.isConfigSupported({ codec: 'vp8' }),
    ]);
    if (!enc.supported) return 'This browser\u2019s VideoEncoder cannot encode VP8, so the video camera is off.';
    if (!dec.supported) return 'This browser\u2019s VideoDecoder cannot decode VP8, so the video camera is off.';
  } catch (e) {
    return `This browser could not check its VP8 support (${e?.message ?? e}), so the video camera is off.`;
  }
  return null;
}

// ---------------------------------------------------------------- cameras

/** A page-side video camera: animated picture → VP8 → signed frames. */
class VideoCamera {
  constructor(look, { signer, streamId, onFrame, onError }) {
    this.look = look;
    this.signer = signer;
    this.streamId = streamId;
    this.onFrame = onFrame;
    this.onError = onError;
    this.canvas = makeCanvas(WIDTH, HEIGHT);
    this.ctx = this.canvas.getContext('2d');
    this.count = 0;
    this.encoded = 0;
    this.encoder = new VideoEncoder({
      output: (chunk) => this.sign(chunk),
      error: (e) => this.fail(e),
    });
    this.encoder.configure(ENCODER_CONFIG);
    this.timer = setInterval(() => this.capture(), 1000 / FPS);
  }

  /** Draws the next picture and hands it to the encoder. */
  capture() {
    if (this.encoder.state !== 'configured') return;
    this.count += 1;
    if (this.encoder.encodeQueueSize > MAX_ENCODE_QUEUE) return;
    this.draw(this.count);
    const picture = new VideoFrame(this.canvas, { timestamp: Date.now() * 1000 });
    try {
      this.encoder.encode(picture, { keyFrame: this.encoded % KEYFRAME_EVERY === 0 });
      this.encoded += 1;
    } finally {
      picture.close();
    }
  }

  draw(n) {
    const { ctx, look } = this;
    const t = n / FPS;
    ctx.fillStyle = look.colour;
    ctx.fillRect(0, 0, WIDTH, HEIGHT);
    const w = STAGE.right - STAGE.left;
    const h = STAGE.bottom - STAGE.top;
    ctx.fillStyle = 'rgba(0, 0, 0, 0.22)';
    ctx.fillRect(STAGE.left, STAGE.top, w, h);
    // A moving shape, a turning hand and a frame counter: motion a person
    // sees stop, stutter or smear.
    const r = 26;
    const bounce = (period, span) => {
      const p = (t / period) % 2;
      return (p < 1 ? p : 2 - p) * span;
    };
    const x = STAGE.left + r + bounce(look.shape === 'ball' ? 3.1 : 2.3, w - 2 * r);
    const y = STAGE.top + r + bounce(look.shape === 'ball' ? 1.9 : 2.9, h - 2 * r);
    ctx.fillStyle = '#f7f3e8';
    ctx.beginPath();
    if (look.shape === 'ball') ctx.arc(x, y, r, 0, Math.PI * 2);
    else ctx.rect(x - r, y - r, 2 * r, 2 * r);
    ctx.fill();
    const cx = STAGE.right - 50;
    const cy = STAGE.top + 50;
    const a = t * 1.7;
    ctx.strokeStyle = '#f7f3e8';
    ctx.lineWidth = 5;
    ctx.beginPath();
    ctx.moveTo(cx, cy);
    ctx.lineTo(cx + Math.cos(a) * 36, cy + Math.sin(a) * 36);
    ctx.stroke();
    ctx.fillStyle = '#ffffff';
    ctx.font = '700 15px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText(look.name, 12, 10);
    ctx.font = '600 12px ui-monospace, monospace';
    ctx.fillText(`frame ${n}`, 12, 29);
  }

  /** Signs one encoded chunk: codec vp8, KEYFRAME and timestamp from the chunk. */
  sign(chunk) {
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    const options = { codec: 'vp8', keyframe: chunk.type === 'key', timestampUs: chunk.timestamp };
    if (this.streamId) options.streamId = this.streamId;
    this.onFrame(this.signer.signFrame(payload, options), chunk.type === 'key');
  }

  fail(e) {
    this.stop();
    this.onError(e);
  }

  stop() {
    clearInterval(this.timer);
    if (this.encoder.state !== 'closed') this.encoder.close();
  }
}

// ---------------------------------------------------------------- relay

function randomInt(lo, hi) {
  return lo + Math.floor(Math.random() * (hi - lo));
}

/**
 * The relay between the cameras and the displays, in this page, worked by
 * the page's fault switches. It is not the server's relay
 * (demo/src/faults.rs) because these chunks are encoded in this page and
 * never reach the server. Its mix-up rates are its own, for 20 chunks a
 * second of video rather than the server's 5 stills (and a stranger's delta
 * shows nothing on a naive decoder without the stranger's keyframe, so the
 * cache serves that too); far reordering and long delay are left out. Per
 * genuine chunk of the linked camera it decides what is delivered; the
 * stranger's chunks only ever arrive by the mix-up.
 */
class VideoRelay {
  constructor(deliver) {
    this.deliver = deliver;
    this.faults = {};
    this.cache = new FrameCache({ maxAgeMs: CACHE_MS, maxCount: CACHE_MAX }); // this camera's chunks
    this.strangerNewest = null;
    this.strangerKey = null;
    this.held = null;
    this.delivered = { camera: 0, stranger: 0, old: 0, damaged: 0 };
  }

  setFaults(state) {
    this.faults = { ...state };
  }

  fromStranger(frame, keyframe) {
    this.strangerNewest = frame;
    if (keyframe) this.strangerKey = frame;
  }

  /** The mix-up's extra delivery for this chunk, as [origin, bytes], or null. */
  mixup(frame, now) {
    let roll = Math.random();
    const chance = (p) => (roll -= p) < 0; // one outcome at most, each with its own rate
    const some = (origin, bytes) => (bytes ? [origin, bytes] : null);
    if (chance(MIXUP_STRANGER)) return some('stranger', this.strangerNewest);
    if (chance(MIXUP_STRANGER_KEY)) return some('stranger', this.strangerKey);
    if (chance(MIXUP_STALE)) return some('old', this.cache.pick(now, 11_000, CACHE_MS));
    if (chance(MIXUP_REPLAY)) return some('old', this.cache.pick(now, 0, 8_000, frame));
    return null;
  }

  fromCamera(frame) {
    const f = this.faults;
    const now = performance.now();
    this.cache.add(frame, now);
    if (f.blackhole) return;
    const out = [];
    const extra = f.mixup ? this.mixup(frame, now) : null;
    if (extra) out.push(extra);
    let genuine = null;
    if (!(f.loss && Math.random() < LOSS)) {
      genuine = f.corruption && Math.random() < CORRUPTION ? ['damaged', corrupt(frame)] : ['camera', frame];
      out.splice(randomInt(0, out.length + 1), 0, genuine);
      if (f.duplication && Math.random() < DUPLICATION) out.push(['old', genuine[1]]);
    }
    const release = this.held;
    this.held = null;
    if (genuine && f.reordering && Math.random() < REORDERING) {
      out.splice(out.indexOf(genuine), 1);
      this.held = genuine;
    }
    if (release) out.push(release);
    for (const [origin, bytes] of out) {
      this.delivered[origin] += 1;
      if (f.delay) setTimeout(() => this.deliver(bytes), randomInt(...DELAY_MS));
      else this.deliver(bytes);
    }
  }
}

// ---------------------------------------------------------------- displays

/** What a naive viewer does: hand every chunk's payload to a VideoDecoder. */
class NaiveVideoScreen {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.decoder = null;
    this.decoded = 0;
    this.drawn = 0;
    this.errors = 0;
  }

  open() {
    const decoder = new VideoDecoder({
      output: (picture) => {
        this.ctx.drawImage(picture, 0, 0, this.canvas.width, this.canvas.height);
        picture.close();
        this.drawn += 1;
      },
      error: () => {
        // A stranger's delta on this camera's pictures, or damaged bytes:
        // the decoder gives up; a naive viewer opens a new one at the next keyframe.
        this.errors += 1;
        if (this.decoder === decoder) this.decoder = null;
      },
    });
    decoder.configure({ codec: 'vp8', optimizeForLatency: true });
    this.decoder = decoder;
  }

  /** Whether the chunk's payload was handed to the decoder. */
  show(frame) {
    const payload = unchecked.payload(frame);
    if (payload.byteLength === 0) return false; // no header, or nothing in it to decode
    const keyframe = unchecked.keyframe(frame);
    if (!this.decoder || this.decoder.state === 'closed') {
      if (!keyframe) return false; // a new decoder starts at a keyframe
      this.open();
    }
    try {
      this.decoder.decode(new EncodedVideoChunk({
        type: keyframe ? 'key' : 'delta',
        timestamp: unchecked.timestampUs(frame),
        data: payload,
      }));
    } catch {
      this.errors += 1;
      this.close();
      return false;
    }
    this.decoded += 1;
    return true;
  }

  close() {
    const decoder = this.decoder;
    this.decoder = null;
    if (decoder && decoder.state !== 'closed') decoder.close();
  }
}

// ---------------------------------------------------------------- the tile

/** The video camera tile: its two cameras, the relay and the two screens. */
export class VideoTile {
  constructor(node, { stallAfterMs }) {
    this.node = node;
    this.stallAfterMs = stallAfterMs;
    const q = (sel) => node.querySelector(sel);
    this.q = q;
    q('.video-screens').append(...displayTiles(
      {
        title: ['With frameseal · ', el('code', '', 'VideoGate')],
        canvas: 'video-gate-canvas',
        label: 'Hallway video: only chunks signed by the linked key',
        caption: 'video-verified',
        waiting: 'Waiting for the first verified keyframe…',
      },
      {
        title: ['Unprotected · plain ', el('code', '', 'VideoDecoder')],
        canvas: 'video-raw-canvas',
        label: 'Hallway video: every chunk the relay delivers',
        caption: 'video-raw',
        waiting: 'Waiting for chunks…',
        flag: 'screen-flag video-flag',
      },
    ));
    this.live = q('.video-live');
    this.verified = q('.video-verified');
    this.rawCaption = q('.video-raw');
    this.rawTally = new NaiveTally(q('.video-flag'), 'Stranger\u2019s camera');
    this.drops = q('.video-drops');
    this.note = q('.video-note');
    this.gateCanvas = q('.video-gate-canvas');
    this.rawCanvas = q('.video-raw-canvas');
    for (const c of [this.gateCanvas, this.rawCanvas]) {
      c.width = WIDTH;
      c.height = HEIGHT;
    }
    this.gate = null;
    this.cameras = [];
    this.faults = {};
    this.lastShown = null;
    this.gateErrors = 0;
    node.dataset.state = 'starting';
    node.dataset.plainPoints = JSON.stringify(PLAIN_POINTS);
    node.dataset.linkedColour = LOOKS.linked.colour;
    node.dataset.strangerColour = LOOKS.stranger.colour;
  }

  /** Starts the cameras and displays, or says why this browser cannot. */
  async start() {
    const missing = await missingVp8();
    if (missing) {
      this.off('unsupported', missing);
      return;
    }
    try {
      const linked = Signer.generate();
      const stranger = Signer.generate();
      // Session binding, as the still displays do: the display picks the
      // stream id and the camera signs this display's chunks on it.
      const session = crypto.getRandomValues(new Uint8Array(16));
      this.gate = new VideoGate(this.gateCanvas, linked.publicKey, {
        streamId: session,
        stallAfterMs: this.stallAfterMs,
      });
      this.raw = new NaiveVideoScreen(this.rawCanvas);
      this.relay = new VideoRelay((frame) => this.receive(frame));
      this.relay.setFaults(this.faults);
      this.q('.video-camera-fp').textContent = fingerprint(linked.publicKey);
      this.q('.video-camera-pairing').textContent = pairingCode(linked.publicKey);
      this.q('.video-stranger-fp').textContent = fingerprint(stranger.publicKey);
      this.q('.video-fp').textContent = fingerprint(this.gate.linkedPublicKey);
      const onError = (e) => this.off('failed', `The video encoder failed (${e?.message ?? e}); the video camera stopped.`);
      this.cameras = [
        new VideoCamera(LOOKS.linked, {
          signer: linked, streamId: session, onError, onFrame: (frame) => this.relay.fromCamera(frame),
        }),
        new VideoCamera(LOOKS.stranger, {
          signer: stranger, onError, onFrame: (frame, keyframe) => this.relay.fromStranger(frame, keyframe),
        }),
      ];
      this.node.dataset.state = 'running';
    } catch (e) {
      this.off('failed', `The video camera could not start: ${e?.message ?? e}`);
    }
  }

  /** Stops everything and shows `message` instead of the screens. */
  off(state, message) {
    for (const camera of this.cameras) camera.stop();
    this.cameras = [];
    this.node.dataset.state = state;
    this.note.textContent = message;
    this.note.hidden = false;
    this.q('.video-body').hidden = true;
    this.live.textContent = 'off';
    this.live.className = 'pill video-live pill-muted';
  }

  /** The relay's fault switches (the page's FaultPanel state). */
  setFaults(state) {
    this.faults = state;
    this.relay?.setFaults(state);
  }

  receive(frame) {
    let verdict;
    try {
      verdict = this.gate.push(frame); // verified now; decoded only if accepted with its chain intact
    } catch (e) {
      this.gateErrors += 1;
      verdict = Promise.resolve({ ok: false, reason: 'malformed', drawn: false, error: e });
    }
    const handed = this.raw.show(frame);
    verdict.then((r) => {
      if (r.ok && r.notDrawn === 'decoding') this.lastShown = r;
      if (handed) this.rawTally.drew(r);
    }, () => {});
  }

  setLive(state) {
    if (this.live.textContent !== state) setLivePill(this.live, 'video-live', state);
  }

  /** Updates the captions and counts; returns the gate's stats (null while off). */
  render(now) {
    if (!this.gate || this.node.dataset.state !== 'running') return null;
    const stats = this.gate.stats();
    this.setLive(stats.drawn === 0 ? 'starting' : this.gate.live ? 'live' : 'not live');
    const shown = this.lastShown;
    if (shown) {
      const age = Math.max(0, Date.now() - shown.timestampUs / 1000) / 1000;
      this.verified.textContent = `seq ${shown.seq} · captured ${age.toFixed(1)} s ago · signature verified · ` +
        `${fmt(stats.drawn)} pictures decoded`;
    }
    this.rawTally.render(this.rawCaption, now, `Decoded ${fmt(this.raw.decoded)} chunks`, RAW_KINDS,
      this.raw.errors ? `; the decoder failed ${fmt(this.raw.errors)} times.` : '.');

    const skipped = el('li', 'drop drop-skip', `skipped until keyframe ${fmt(stats.skippedUntilKeyframe)}`);
    skipped.dataset.skipped = String(stats.skippedUntilKeyframe);
    const chips = [...dropChips(stats), skipped];
    if (stats.decoderErrors) chips.push(el('li', 'drop', `decoder errors ${fmt(stats.decoderErrors)}`));
    this.drops.replaceChildren(...chips);
    Object.assign(this.node.dataset, {
      accepted: String(stats.accepted),
      drawn: String(stats.drawn),
      skippedUntilKeyframe: String(stats.skippedUntilKeyframe),
      decoderErrors: String(stats.decoderErrors),
      gateErrors: String(this.gateErrors),
      rawDecoded: String(this.raw.decoded),
      rawDecoderErrors: String(this.raw.errors),
      deliveredStranger: String(this.relay.delivered.stranger),
    });
    return stats;
  }
}
