// The soak page (soak.html), driven by tools/soak.mjs (`./build.sh soak`):
// sixteen protected tiles on the relay demo's cameras at once, kept open for
// as long as the soak runs while the driver switches the relay's faults.
// - 9 FrameGate tiles: 3 on each still camera (/ws/{camera}, each its own
//   session, as demo.js opens them);
// - 1 VideoGate tile: the page's own VP8 camera and in-page relay
//   (video-camera.js's VideoTile, worked by the same fault switches);
// - 3 MseGate tiles on the live H.264 cameras (/ws/live/{camera},
//   go2rtc-style, as live.js opens them): 2 on the first, 1 on the second;
// - 3 hls.js + frameseal/hls tiles (/hls/{camera}/live.m3u8): the same.
// No naive players: only what a protected dashboard holds.
//
// What the driver reads, every sample (window.__soak.sample()):
// - each tile's gate stats() (accepted, dropped by reason);
// - foreign pixels: every PIXEL_MS each protected surface is read at its
//   camera's plain points (where only the camera's background colour is
//   ever drawn) and classed by hue: the linked camera's, a foreign
//   camera's (the other cameras of its kind), none (black, grey: nothing
//   drawn yet) or other;
// - genuine frames lost: the FrameGate and VideoGate tiles hand every
//   delivered frame to a policy-free Verifier first (no max age, a
//   65,536-frame replay window; tests/e2e/faults.test.mjs's oracle), which
//   says which frames arrived intact and genuine (first copy); each such
//   frame the gate did not accept is lost, unless the gate dropped it for
//   its max age or replay window (`stale`, `replayed`: what the long-delay
//   and far-reordering faults do by design). The MseGate tiles count
//   from the relay's own `injected` messages instead (see MseSoakTile);
// - WebAssembly memory: the package's memory.buffer.byteLength (one module
//   instance: pkg/hls/ imports the same pkg/frameseal.js).
import init, { FrameGate, MseGate, Verifier } from '../pkg/frameseal.js';
import { el } from './shared.js';
import { PLAIN_POINTS as VIDEO_PLAIN_POINTS, VideoTile } from './video-camera.js';

const STALL_AFTER_MS = 3000;
/** How often the protected surfaces are read for foreign pixels. */
const PIXEL_MS = 250;
/** The gate's own policy drops a fault can cause by design (see above). */
const POLICY_REASONS = ['stale', 'replayed'];
/** Hues closer than this (degrees) are the same camera's (the cameras' are ≥ 60° apart). */
const HUE_MATCH = 30;
const RECONNECT_MS = 1000;
/** Seconds of played media hls.js keeps behind the playhead (see HlsSoakTile). */
const HLS_BACK_BUFFER_S = 10;

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text) => Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));

/** A pixel's hue in degrees, or null for black, grey or white (with-demo.mjs's rule). */
function hueOf([r, g, b]) {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max < 24 || (max - min) / max < 0.3) return null;
  const d = max - min;
  const h = max === r ? 60 * (((g - b) / d) % 6) : max === g ? 60 * ((b - r) / d + 2) : 60 * ((r - g) / d + 4);
  return (h + 360) % 360;
}
const hueOfColour = (colour) => hueOf([1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)));
const near = (a, b) => Math.min(Math.abs(a - b), 360 - Math.abs(a - b)) < HUE_MATCH;

/** Adds `n` to `counts[key]`. */
const bump = (counts, key, n = 1) => { counts[key] = (counts[key] ?? 0) + n; };

/**
 * What every tile keeps: where it shows pictures (`surface`, a canvas or a
 * video), the points to read and whose colours they may show, and the
 * counts the driver samples.
 */
class Tile {
  constructor(kind, camera, { linked, foreign, points }) {
    this.kind = kind;
    this.camera = camera;
    this.linkedHue = hueOfColour(linked);
    this.foreignHues = foreign.map(hueOfColour);
    this.points = points;
    this.pixels = { samples: 0, linked: 0, foreign: 0, none: 0, other: 0, firstForeign: null };
    this.reconnects = 0;
    this.node = el('article', `card soak-tile soak-${kind}`);
    this.node.append(el('h2', 'soak-title', `${kind} · ${camera}`));
    this.caption = el('p', 'caption soak-caption', 'starting');
  }

  /** Classes the pixels `data` (RGBA, one per point) read from the surface just now. */
  classify(data, note) {
    const p = this.pixels;
    for (let i = 0; i < this.points.length; i += 1) {
      const rgb = [data[i * 4], data[i * 4 + 1], data[i * 4 + 2]];
      const h = hueOf(rgb);
      p.samples += 1;
      if (h === null) p.none += 1;
      else if (near(h, this.linkedHue)) p.linked += 1;
      else if (this.foreignHues.some((f) => near(h, f))) {
        p.foreign += 1;
        p.firstForeign ??= { at: new Date().toISOString(), point: this.points[i], rgb, note };
      } else p.other += 1;
    }
  }

  /** Whether the surface has a picture to read (a video with a frame, a drawn canvas). */
  readable() {
    return this.surface instanceof HTMLVideoElement ? this.surface.readyState >= 2 : true;
  }
}

/** Frames a policy-free oracle calls intact and genuine, and what the gate made of them. */
class Ledger {
  constructor(key, streamId) {
    this.oracle = new Verifier(key, {
      ...(streamId ? { streamId } : {}), maxAgeMs: null, maxFutureSkewMs: null, replayWindow: 65536,
    });
    this.delivered = 0;
    this.intact = 0;
    this.accepted = 0;
    this.pending = 0;
    this.policy = {};
    this.lost = {};
    this.foreignAccepted = 0;
    this.foreignDrawn = 0;
    this.firstUs = Infinity;
    this.lastUs = -Infinity;
  }

  /** Judges `frame` with the oracle, then follows the gate's verdict `pushed` (a promise). */
  follow(frame, push) {
    this.delivered += 1;
    let truth;
    try {
      truth = this.oracle.verify(frame);
    } catch {
      truth = { ok: false, reason: 'malformed' };
    }
    const genuine = truth.ok || truth.reason === 'replayed';
    if (truth.ok) {
      this.intact += 1;
      this.pending += 1;
      this.firstUs = Math.min(this.firstUs, truth.timestampUs);
      this.lastUs = Math.max(this.lastUs, truth.timestampUs);
    }
    const verdict = push(frame);
    verdict.then((r) => {
      if (truth.ok) {
        this.pending -= 1;
        if (r.ok) this.accepted += 1;
        else if (POLICY_REASONS.includes(r.reason)) bump(this.policy, r.reason);
        else bump(this.lost, r.reason ?? 'unknown');
      }
      if (!genuine && r.ok) this.foreignAccepted += 1;
      if (!genuine && r.drawn) this.foreignDrawn += 1;
    }, () => {
      if (truth.ok) {
        this.pending -= 1;
        bump(this.lost, 'gate-error');
      }
    });
    return verdict;
  }

  /** The counts, and `lostBeyondFaults`: intact genuine frames neither accepted, nor policy drops, nor pending. */
  figures(frameUs) {
    const lost = Object.values(this.lost).reduce((a, b) => a + b, 0);
    const sent = this.intact && frameUs ? Math.round((this.lastUs - this.firstUs) / frameUs) + 1 : null;
    return {
      delivered: this.delivered, intact: this.intact, accepted: this.accepted, pending: this.pending,
      policy: this.policy, lostReasons: this.lost, lostBeyondFaults: lost,
      foreignAccepted: this.foreignAccepted, foreignDrawn: this.foreignDrawn, cameraSent: sent,
    };
  }
}

/** A FrameGate on one still camera, over its own WebSocket and session (as demo.js's Feed). */
class StillSoakTile extends Tile {
  constructor(cam, others, picture) {
    super('framegate', cam.id, {
      linked: cam.colour, foreign: others.map((c) => c.colour), points: picture.plainPoints,
    });
    this.cam = cam;
    this.key = unhex(cam.publicKey);
    this.session = crypto.getRandomValues(new Uint8Array(16));
    const canvas = el('canvas', 'soak-canvas');
    canvas.width = picture.width;
    canvas.height = picture.height;
    this.surface = canvas;
    this.gate = new FrameGate(canvas, this.key, { streamId: this.session, stallAfterMs: STALL_AFTER_MS });
    this.ledger = new Ledger(this.key, this.session);
    this.node.append(canvas, this.caption);
  }

  start() {
    const ws = new WebSocket(`ws://${location.host}/ws/${encodeURIComponent(this.cam.id)}`);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => ws.send(JSON.stringify({ session: hex(this.session), key: this.cam.publicKey }));
    ws.onmessage = (event) => {
      this.ledger.follow(new Uint8Array(event.data), (frame) => {
        try {
          return this.gate.push(frame);
        } catch (e) {
          return Promise.reject(e);
        }
      }).catch(() => {});
    };
    ws.onclose = () => {
      this.reconnects += 1;
      setTimeout(() => this.start(), RECONNECT_MS);
    };
  }

  figures() {
    return { stats: this.gate.stats(), ledger: this.ledger.figures(200_000) };
  }
}

/** video-camera.js's VideoTile (camera, in-page relay, VideoGate), with a ledger on its gate. */
class VideoSoakTile extends Tile {
  constructor(node) {
    super('videogate', 'hallway', {
      linked: node.dataset.linkedColour ?? '#17a8a0',
      foreign: [node.dataset.strangerColour ?? '#c2409a'],
      points: VIDEO_PLAIN_POINTS,
    });
    this.node = node;
    this.video = new VideoTile(node, { stallAfterMs: STALL_AFTER_MS });
    this.surface = this.video.gateCanvas;
    this.ledger = null;
  }

  async start() {
    await this.video.start();
    const { gate } = this.video;
    if (!gate) return;
    this.ledger = new Ledger(gate.linkedPublicKey, null);
    const push = gate.push.bind(gate);
    // Every chunk the in-page relay delivers reaches VideoTile.receive, which pushes it here.
    gate.push = (frame) => this.ledger.follow(frame, push);
  }

  setFaults(state) {
    this.video.setFaults(state);
  }

  figures() {
    if (!this.video.gate || !this.ledger) return { state: this.video.node.dataset.state };
    this.video.render(performance.now());
    return {
      stats: this.video.gate.stats(), ledger: this.ledger.figures(null), delivered: { ...this.video.relay.delivered },
    };
  }
}

/** A <video> for a live tile, muted so it may play by itself. */
function liveVideo() {
  const v = el('video', 'soak-video');
  v.muted = true;
  v.autoplay = true;
  v.playsInline = true;
  return v;
}

function play(video) {
  video.play()?.catch(() => {});
}

/**
 * An MseGate on one live camera over /ws/live/{camera} (as live.js's
 * MseTile, without its naive player). Lost genuine fragments, from the
 * relay's own counts for this connection: fragments received (after the
 * init segment), less the foreign, replayed and tampered ones it says it
 * injected, less those the gate accepted, less those it dropped for its
 * max age or replay window beyond the relay's replays (`stale` and
 * `replayed` drops above the relay's replayed count: the policy's, as for
 * the FrameGate tiles). The gate judges a fragment within append(), so its
 * counts are never behind. (Its skippedUntilKeyframe are accepted samples
 * it did not append, after a lost, tampered or foreign one broke the
 * chain: listed apart.)
 */
class MseSoakTile extends Tile {
  constructor(cam, others, info) {
    super('msegate', cam.id, { linked: cam.colour, foreign: others.map((c) => c.colour), points: info.plainPoints });
    this.cam = cam;
    this.key = unhex(cam.publicKey);
    this.surface = liveVideo();
    this.node.append(this.surface, this.caption);
    this.carried = null;
    this.binary = 0;
    this.injected = {};
    this.pending = 0;
    this.gateErrors = 0;
  }

  start() {
    this.gate = new MseGate(this.surface, this.key, { stallAfterMs: STALL_AFTER_MS });
    this.binary = 0;
    this.injected = {};
    const ws = new WebSocket(`ws://${location.host}/ws/live/${encodeURIComponent(this.cam.id)}`);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = () => {
      // A new connection starts a new timeline from 0: a new gate and MediaSource for it.
      this.reconnects += 1;
      const ended = this.connectionFigures();
      const c = this.carried ?? { intact: 0, accepted: 0, lostBeyondFaults: 0 };
      this.carried = {
        intact: c.intact + ended.intact, accepted: c.accepted + ended.stats.accepted,
        lostBeyondFaults: c.lostBeyondFaults + ended.lostBeyondFaults,
      };
      try {
        this.gate.close();
        this.gate.free();
      } catch {
        // already closed
      }
      setTimeout(() => this.start(), RECONNECT_MS);
    };
  }

  receive(data) {
    if (typeof data === 'string') {
      try {
        const message = JSON.parse(data);
        if (message.type === 'injected') this.injected = message.counts;
      } catch {
        // not the relay's JSON
      }
      return;
    }
    this.binary += 1;
    this.pending += 1;
    let appended;
    try {
      appended = this.gate.append(new Uint8Array(data));
    } catch {
      this.pending -= 1;
      this.gateErrors += 1;
      return;
    }
    appended.then((r) => {
      this.pending -= 1;
      if (r.appended > 0) play(this.surface);
    }, () => {
      this.pending -= 1;
      this.gateErrors += 1;
    });
  }

  /** This connection's figures (see the class comment). */
  connectionFigures() {
    const stats = this.gate.stats();
    const inj = this.injected;
    const media = Math.max(0, this.binary - 1);
    const intact = media - (inj.foreign ?? 0) - (inj.replayed ?? 0) - (inj.tampered ?? 0);
    const policy = Math.max(0, (stats.dropped.stale ?? 0) + (stats.dropped.replayed ?? 0) - (inj.replayed ?? 0));
    return {
      stats, media, intact, injected: { ...inj }, policy,
      lostBeyondFaults: intact - stats.accepted - policy,
    };
  }

  figures() {
    const now = this.connectionFigures();
    const c = this.carried;
    return {
      ...now, pending: this.pending, gateErrors: this.gateErrors, intact: now.intact + (c?.intact ?? 0),
      lostBeyondFaults: now.lostBeyondFaults + (c?.lostBeyondFaults ?? 0),
      earlierConnections: c,
      currentTime: this.surface.currentTime,
    };
  }
}

/** hls.js with frameseal/hls in front of its fragment loader (as live.js's HlsTile, no naive player). */
class HlsSoakTile extends Tile {
  constructor(cam, others, info) {
    super('hls', cam.id, { linked: cam.colour, foreign: others.map((c) => c.colour), points: info.plainPoints });
    this.cam = cam;
    this.key = unhex(cam.publicKey);
    this.surface = liveVideo();
    this.node.append(this.surface, this.caption);
    this.errors = {};
  }

  async start() {
    const [{ default: Hls }, { attachFrameseal }] = await Promise.all([
      import('/vendor/hls.mjs'), import('../pkg/hls/index.js'),
    ]);
    for (;;) {
      const live = await fetch('/api/live').then((r) => r.json()).catch(() => null);
      if (live?.cameras?.find((c) => c.id === this.cam.id)?.hls?.ready) break;
      await new Promise((resolve) => { setTimeout(resolve, 500); });
    }
    const url = `/hls/${encodeURIComponent(this.cam.id)}/live.m3u8`;
    // No workers: the page's Content-Security-Policy allows no blob: scripts.
    // live.js's config, plus a bounded back buffer (hls.js keeps all played
    // media, and a Fragment for each of it, by default: ?hlsBackBuffer=default
    // for that).
    const back = new URLSearchParams(location.search).get('hlsBackBuffer');
    this.hls = new Hls({
      lowLatencyMode: true, enableWorker: false, liveSyncDurationCount: 1,
      ...(back === 'default' ? {} : { backBufferLength: Number(back ?? HLS_BACK_BUFFER_S) }),
    });
    // ?hlsFrameseal=off: plain hls.js, unprotected, to tell hls.js's own memory from frameseal/hls's.
    const plain = new URLSearchParams(location.search).get('hlsFrameseal') === 'off';
    this.seal = plain ? null : attachFrameseal(this.hls, this.key, { stallAfterMs: STALL_AFTER_MS });
    this.hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      bump(this.errors, data.details);
      if (data.details === Hls.ErrorDetails.MANIFEST_LOAD_ERROR) setTimeout(() => this.hls.loadSource(url), 1000);
      else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) this.hls.recoverMediaError();
      else this.hls.startLoad();
    });
    this.hls.loadSource(url);
    this.hls.attachMedia(this.surface);
    this.surface.addEventListener('canplay', () => play(this.surface));
  }

  figures() {
    if (!this.hls) return { state: 'starting' };
    // Diagnostic, from hls.js's internals: the entries its FragmentTracker
    // holds (gaps of dropped segments among them), which must not grow.
    const tracker = this.hls.bufferController?.fragmentTracker;
    const entries = tracker?.fragments ? Object.values(tracker.fragments).filter(Boolean) : null;
    return {
      stats: this.seal?.stats() ?? null, fatalErrors: this.errors, currentTime: this.surface.currentTime,
      tracked: entries ? { entries: entries.length, gaps: entries.filter((e) => e.body?.gap).length } : null,
    };
  }
}

/** Reads every tile's plain points every PIXEL_MS into one small canvas. */
function startPixelSampler(tiles) {
  const width = Math.max(...tiles.map((t) => t.points.length));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = tiles.length;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  setInterval(() => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const read = [];
    tiles.forEach((tile, row) => {
      if (!tile.surface || !tile.readable()) return;
      tile.points.forEach(([x, y], i) => ctx.drawImage(tile.surface, x, y, 1, 1, i, row, 1, 1));
      read.push(row);
    });
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    for (const row of read) {
      const tile = tiles[row];
      const note = tile.surface instanceof HTMLVideoElement ? `currentTime ${tile.surface.currentTime}` : '';
      tile.classify(data.subarray(row * width * 4, (row + 1) * width * 4), note);
    }
  }, PIXEL_MS);
}

async function main() {
  const wasm = await init();
  const [still, live] = await Promise.all(['/api/cameras', '/api/live'].map((u) => fetch(u).then((r) => r.json())));
  const others = (list, cam) => list.filter((c) => c.id !== cam.id);
  const tiles = [];
  for (const cam of still.cameras) {
    for (let i = 0; i < 3; i += 1) tiles.push(new StillSoakTile(cam, others(still.cameras, cam), still.picture));
  }
  const video = new VideoSoakTile(document.getElementById('video-feed'));
  tiles.push(video);
  const streaming = live.cameras.filter((c) => !c.problem);
  const [first, second = first] = streaming;
  if (first) {
    for (const cam of [first, first, second]) tiles.push(new MseSoakTile(cam, others(live.cameras, cam), live));
    for (const cam of [first, first, second]) tiles.push(new HlsSoakTile(cam, others(live.cameras, cam), live));
  }
  // ?tiles=framegate,msegate keeps only those kinds: to tell whose memory grows.
  const only = new URLSearchParams(location.search).get('tiles')?.split(',');
  if (only) {
    for (let i = tiles.length - 1; i >= 0; i -= 1) if (!only.includes(tiles[i].kind)) tiles.splice(i, 1);
    if (!only.includes('videogate')) document.getElementById('video-feed').hidden = true;
  }
  document.getElementById('soak-wall').replaceChildren(...tiles.filter((t) => t !== video).map((t) => t.node));
  const starting = tiles.map((t) => Promise.resolve(t.start()).catch((e) => { t.startError = String(e?.message ?? e); }));
  startPixelSampler(tiles);
  window.__soak = {
    tiles,
    liveProblems: live.cameras.filter((c) => c.problem).map((c) => `${c.id}: ${c.problem}`),
    /** The relay's fault state, for the page's own VP8 relay. */
    setFaults: (state) => video.setFaults(state),
    /** Everything the driver records each sample. */
    sample: () => ({
      wasmBytes: wasm.memory.buffer.byteLength,
      jsHeap: performance.memory ? { used: performance.memory.usedJSHeapSize, total: performance.memory.totalJSHeapSize } : null,
      tiles: tiles.map((t) => ({
        kind: t.kind, camera: t.camera, reconnects: t.reconnects, startError: t.startError ?? null,
        pixels: { ...t.pixels }, ...t.figures(),
      })),
    }),
  };
  await Promise.all(starting);
  document.body.dataset.soak = 'running';
}

main().catch((e) => {
  document.body.dataset.soak = 'failed';
  document.body.dataset.error = String(e?.stack ?? e);
});
