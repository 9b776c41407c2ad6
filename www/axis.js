// The Axis camera tile: a recording signed by Axis Signed Video (ECDSA
// P-256 over each GOP's picture hashes, the signature in an SEI of the next
// GOP), played in a loop by the demo's relay over /ws/axis, one access
// unit per message (demo/src/axis_relay.rs). One connection feeds two
// WebCodecs VideoDecoders:
// - protected: a SignedVideoGate (frameseal/signed-video) linked to the
//   camera's public key holds each GOP until its verdict and releases only
//   authentic pictures; they are decoded and shown at the recording's frame
//   rate, one GOP (about 2.5 s) behind the relay;
// - unprotected: decodes every access unit as it arrives.
// Each loop of the recording is a new stream for the page: a new gate (the
// recording's hash chain does not run from its end back to its start, so
// the loop boundary would otherwise read as tampering).
//
// On the main page (index.html) the tile starts when it is scrolled into
// view; www/axis.html shows it alone.
//
// For tests, #axis-camera keeps its figures in data attributes: data-state
// (starting, running, unsupported, unavailable, failed), data-reports (the
// GOP reports, JSON: [{loop, gop, firstFrame, frames, verdict, reason}],
// firstFrame counted in the relay's numbering of the recording),
// data-relay (the relay's account of its faults, JSON), data-counts
// (verdicts and drops so far, JSON); each canvas gets data-frameseal-live
// ("true" while authentic pictures are being shown) and data-drawn (how
// many pictures it drew). With ?probe in the page's URL, each drawn
// picture's SHA-256 (of the canvas's RGBA) is kept in
// window.__frameseal_axis.drawn.{protected,unprotected}: [{loop, frame, hash}].
import initSignedVideo, { SignedVideoGate } from '../pkg/signed-video/frameseal_signed_video.js';
import { $, FaultSwitches, el, displayTiles } from './shared.js';

const SWITCHES = [
  { fault: 'mixup', title: 'Cache mix-up', desc: 'one GOP per loop from another signed camera (another key)' },
  { fault: 'tamper', title: 'Tampered GOP', desc: 'one byte of a picture changed in one GOP per loop' },
  { fault: 'loss', title: 'Loss', desc: 'two pictures of one GOP per loop dropped' },
  { fault: 'blackhole', title: 'Blackhole', desc: 'sends nothing' },
];
const FAULT_POLL_MS = 2000;
const RENDER_MS = 250;
/** The protected canvas counts as live while it drew a picture this recently. */
const LIVE_AFTER_MS = 1000;
/** A loop's µs on the chunks' timeline: far more than a loop lasts (10.3 s). */
const LOOP_US = 1e9;
/** Rows of the verdict list shown; reports kept for data-reports. */
const ROWS = 10;
const KEEP_REPORTS = 400;
/** Released pictures waiting to be shown, at most (then the oldest GOPs go). */
const MAX_QUEUE = 400;
const PROBE = new URLSearchParams(location.search).has('probe');
const KEEP_PROBE = 3000;

function hexToBytes(hex) {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** A VideoDecoder that draws on `canvas`; recreated after a decode error, from the next keyframe. */
class Screen {
  constructor(canvas, config, name, frameUs, onDrawn) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: PROBE });
    this.config = config;
    this.name = name;
    this.frameUs = frameUs;
    this.onDrawn = onDrawn;
    this.drawn = 0;
    this.errors = 0;
    this.lastDrawnAt = 0;
    this.decoder = null;
  }

  open() {
    this.decoder = new VideoDecoder({
      output: (frame) => this.draw(frame),
      error: () => { this.errors += 1; this.decoder = null; },
    });
    this.decoder.configure(this.config);
  }

  /** Decodes one access unit; `timestamp` names its loop and picture. */
  decode(type, timestamp, data) {
    if (!this.decoder || this.decoder.state === 'closed') {
      if (type !== 'key') return; // a new decoder starts at a keyframe
      this.open();
    }
    try {
      this.decoder.decode(new EncodedVideoChunk({ type, timestamp, data }));
    } catch {
      this.errors += 1;
      this.decoder = null;
    }
  }

  draw(frame) {
    const { width, height } = this.canvas;
    this.ctx.drawImage(frame, 0, 0, width, height);
    const ts = frame.timestamp;
    frame.close();
    this.drawn += 1;
    this.lastDrawnAt = performance.now();
    const loop = Math.floor(ts / LOOP_US);
    const picture = Math.round((ts - loop * LOOP_US) / this.frameUs);
    this.onDrawn(this.name, loop, picture);
    if (PROBE) {
      const pixels = this.ctx.getImageData(0, 0, width, height).data;
      crypto.subtle.digest('SHA-256', pixels).then((digest) => {
        const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
        const list = window.__frameseal_axis.drawn[this.name];
        list.push({ loop, frame: picture, hash });
        if (list.length > KEEP_PROBE) list.splice(0, list.length - KEEP_PROBE);
      });
    }
  }
}

class AxisTile {
  constructor(node, info) {
    this.node = node;
    this.info = info;
    this.frameUs = 1e6 / info.fps;
    this.trustKey = hexToBytes(info.publicKey);
    this.config = { codec: info.codec, codedWidth: info.width, codedHeight: info.height };
    this.reports = [];
    this.relay = [];
    this.counts = { gops: {}, reasons: {}, dropped: {}, released: 0 };
    this.queue = [];
    this.gate = null;
    this.loop = -1;
    this.lastFrame = { protected: null, unprotected: null };
    const canvases = node.querySelectorAll('canvas');
    const onDrawn = (name, loop, frame) => { this.lastFrame[name] = { loop, frame }; };
    this.protected = new Screen(canvases[0], this.config, 'protected', this.frameUs, onDrawn);
    this.unprotected = new Screen(canvases[1], this.config, 'unprotected', this.frameUs, onDrawn);
  }

  start() {
    this.connect();
    this.playTimer = setInterval(() => this.play(), this.frameUs / 2000);
  }

  connect() {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/axis`);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => {
      if (typeof event.data === 'string') this.text(event.data);
      else this.unit(new Uint8Array(event.data));
    };
    ws.onopen = () => {
      this.node.dataset.state = 'running';
      this.loop = -1; // a new connection starts the recording over: a new gate
    };
    ws.onclose = () => {
      if (this.node.dataset.state !== 'failed') this.node.dataset.state = 'reconnecting';
      setTimeout(() => this.connect(), 1000);
    };
  }

  text(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === 'fault') {
      this.relay.push(message);
      if (this.relay.length > KEEP_REPORTS) this.relay.shift();
    } else if (message.type === 'error') {
      this.fail(`The relay cannot play the Axis camera: ${message.value}`);
    }
  }

  /** One access unit: the relay's 9-byte header, then Annex B. */
  unit(bytes) {
    if (bytes.length < 9) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, 9);
    const loop = view.getUint32(0);
    const frame = view.getUint32(4);
    const flags = view.getUint8(8);
    const data = bytes.subarray(9);
    const timestamp = loop * LOOP_US + frame * this.frameUs;
    if (flags & 1) this.unprotected.decode(flags & 2 ? 'key' : 'delta', timestamp, data);
    if (loop !== this.loop) this.newGate(loop);
    try {
      this.take(this.gate.push(data, { timestamp, duration: this.frameUs }));
    } catch (e) {
      this.gateError = String(e?.message ?? e);
    }
  }

  /** A new loop: the old gate finishes (its last verdicts), a new one starts. */
  newGate(loop) {
    if (this.gate) {
      try {
        this.take(this.gate.finish());
        this.addDrops(this.gate.stats());
      } catch (e) {
        this.gateError = String(e?.message ?? e);
      }
      this.gate.free();
    }
    this.loop = loop;
    this.gate = new SignedVideoGate({
      codec: 'h264',
      layout: 'annexb',
      trustKey: this.trustKey,
      onGop: (report) => this.onGop(loop, report),
    });
  }

  addDrops(stats) {
    this.counts.released += stats.released;
    for (const [reason, n] of Object.entries(stats.dropped)) {
      this.counts.dropped[reason] = (this.counts.dropped[reason] ?? 0) + n;
    }
  }

  take(pictures) {
    this.queue.push(...pictures);
    if (this.queue.length > MAX_QUEUE) {
      // Behind by far: skip to the newest keyframe that leaves a short queue.
      const key = this.queue.findLastIndex((p) => p.type === 'key');
      if (key > 0) this.queue.splice(0, key);
    }
  }

  onGop(loop, report) {
    // The gate counts the pictures it got; the relay's numbering (what is
    // shown, and the relay's fault notes) counts the recording's.
    const relayFirst = this.gopFirstFrame(report.gop);
    const entry = {
      loop, gop: report.gop, firstFrame: relayFirst, frames: report.frames,
      verdict: report.verdict, reason: report.reason,
    };
    this.reports.push(entry);
    if (this.reports.length > KEEP_REPORTS) this.reports.shift();
    this.counts.gops[report.verdict] = (this.counts.gops[report.verdict] ?? 0) + 1;
    if (report.verdict !== 'authentic') {
      const key = `${report.verdict}${report.reason && report.reason !== report.verdict ? ` (${report.reason})` : ''}`;
      this.counts.reasons[key] = (this.counts.reasons[key] ?? 0) + 1;
    }
  }

  gopFirstFrame(gop) {
    let first = 0;
    for (let g = 0; g < gop && g < this.info.gops.length; g += 1) first += this.info.gops[g];
    return first;
  }

  /** Shows released pictures at the recording's frame rate. */
  play() {
    const now = performance.now();
    if (!this.queue.length) {
      this.nextAt = null;
      return;
    }
    this.nextAt ??= now;
    while (this.queue.length && now >= this.nextAt) {
      const p = this.queue.shift();
      this.protected.decode(p.type, p.timestamp, p.data);
      this.nextAt += this.frameUs / 1000;
    }
  }

  fail(message) {
    this.node.dataset.state = 'failed';
    const note = this.node.querySelector('.axis-note');
    note.textContent = message;
    note.hidden = false;
  }

  render() {
    const live = performance.now() - this.protected.lastDrawnAt < LIVE_AFTER_MS;
    const [gated, naive] = this.node.querySelectorAll('canvas');
    gated.setAttribute('data-frameseal-live', live ? 'true' : 'false');
    gated.closest('.screen').classList.toggle('stalled', !live);
    gated.dataset.drawn = String(this.protected.drawn);
    naive.dataset.drawn = String(this.unprotected.drawn);
    const d = this.node.dataset;
    d.reports = JSON.stringify(this.reports);
    d.relay = JSON.stringify(this.relay);
    const stats = this.gate?.stats();
    const dropped = { ...this.counts.dropped };
    for (const [reason, n] of Object.entries(stats?.dropped ?? {})) dropped[reason] = (dropped[reason] ?? 0) + n;
    d.counts = JSON.stringify({ gops: this.counts.gops, reasons: this.counts.reasons, dropped,
      released: this.counts.released + (stats?.released ?? 0), decodeErrors: {
        protected: this.protected.errors, unprotected: this.unprotected.errors } });
    if (this.gateError) d.gateError = this.gateError;

    const caption = (name, text) => { this.node.querySelector(`.axis-caption-${name}`).textContent = text; };
    const shown = (f) => (f ? `loop ${f.loop}, picture ${f.frame}` : 'nothing yet');
    caption('protected', `${live ? 'showing' : 'holding'} \u00b7 ${shown(this.lastFrame.protected)} \u00b7 `
      + `${this.protected.drawn} shown, ${this.queue.length} released and queued`);
    caption('unprotected', `${shown(this.lastFrame.unprotected)} \u00b7 ${this.unprotected.drawn} shown`);

    const counts = Object.entries(this.counts.gops).map(([v, n]) => `${v} ${n}`).join(' \u00b7 ');
    const reasons = Object.entries(this.counts.reasons).map(([r, n]) => `${r} ${n}`).join(' \u00b7 ');
    this.node.querySelector('.axis-counts').textContent = counts
      ? `GOPs: ${counts}${reasons ? ` \u2014 not shown: ${reasons}` : ''}` : 'GOPs: waiting for the first verdict';
    const rows = this.reports.slice(-ROWS).reverse().map((r) => {
      const tr = el('tr', `axis-row axis-${r.verdict}`);
      const relay = this.relay.filter((f) => f.loop === r.loop && f.gop === r.gop).map((f) => f.fault).join(', ');
      tr.append(el('td', 'mono', String(r.loop)), el('td', 'mono', String(r.gop)),
        el('td', 'mono', `${r.firstFrame}\u2013${r.firstFrame + r.frames - 1}`),
        el('td', 'axis-verdict', r.verdict + (r.reason && r.reason !== r.verdict ? ` (${r.reason})` : '')), el('td', '', relay));
      return tr;
    });
    this.node.querySelector('.axis-rows').replaceChildren(...rows);
  }
}

function build(section, info) {
  const card = el('article', 'card axis-card');
  card.id = 'axis-camera';
  card.dataset.state = 'starting';
  const head = el('header', 'card-head');
  const rec = el('span', 'rec');
  rec.setAttribute('aria-hidden', 'true');
  head.append(rec, el('h2', '', 'Axis camera \u00b7 Signed Video'),
    el('span', 'pill pill-muted', info.problem ? 'unavailable'
      : `H.264 \u00b7 ${info.width}\u00d7${info.height} \u00b7 ${info.fps} fps \u00b7 WebCodecs`));
  const note = el('p', 'card-note', 'A recording signed the way Axis cameras sign (AXIS OS Signed Video: each GOP\u2019s '
    + 'picture hashes signed with ECDSA P-256, the signature in an SEI of the next GOP), played in a loop through the '
    + 'relay. The protected player holds each GOP until its verdict and decodes only authentic pictures, about one '
    + 'GOP (2.5 s) behind; the unprotected one decodes whatever arrives. Each loop is validated as a new stream. '
    + 'A mix-up costs the GOPs around it too: the one before loses its signature (it travels in the next GOP\u2019s '
    + 'SEI) and the one after breaks the chain of GOP hashes. '
    + 'The relay\u2019s faults for this stream (shared with the other tiles; also POST /api/faults):');
  const list = el('ul', 'toggles toggles-3 axis-toggles');
  list.setAttribute('aria-label', 'Axis camera faults');
  const key = el('p', 'video-key');
  key.append('Linked to the camera\u2019s key ', el('span', 'mono axis-fp', info.fingerprint ?? '\u2026'),
    el('span', 'card-sub', ` \u00b7 the other signed camera: ${info.otherFingerprint ?? '\u2026'}`));
  const warn = el('p', 'video-note axis-note');
  warn.setAttribute('role', 'status');
  warn.hidden = true;
  const [gated, naive] = displayTiles(
    { title: 'Protected \u00b7 SignedVideoGate', canvas: 'axis-canvas axis-gated',
      label: 'The Axis camera: authentic pictures only', caption: 'axis-caption-protected', waiting: 'waiting' },
    { title: 'Unprotected \u00b7 decodes everything', canvas: 'axis-canvas axis-naive', flag: 'screen-flag',
      label: 'The Axis camera: everything the relay sent', caption: 'axis-caption-unprotected', waiting: 'waiting' },
  );
  for (const canvas of [gated, naive].map((t) => t.querySelector('canvas'))) {
    canvas.width = info.width || 480;
    canvas.height = info.height || 640;
  }
  const screens = el('div', 'axis-screens');
  screens.append(gated, naive);
  const table = el('table', 'axis-table');
  const thead = el('thead');
  const hr = el('tr');
  for (const h of ['loop', 'GOP', 'pictures', 'verdict', 'relay']) hr.append(el('th', '', h));
  thead.append(hr);
  const tbody = el('tbody', 'axis-rows');
  table.append(el('caption', 'axis-counts', 'GOPs: waiting for the first verdict'), thead, tbody);
  const verdicts = el('div', 'axis-verdicts');
  verdicts.append(table);
  const body = el('div', 'axis-body');
  body.append(screens, verdicts);
  card.append(head, note, list, key, warn, body);
  section.replaceChildren(card);
  return { card, list };
}

/** Resolves to true once `node` is first in view (at once where it already is). */
function visible(node) {
  if (typeof IntersectionObserver !== 'function') return Promise.resolve(true);
  return new Promise((resolve) => {
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        observer.disconnect();
        resolve(true);
      }
    });
    observer.observe(node);
  });
}

async function main() {
  const section = $('axis-wall');
  if (!section) return;
  let info;
  try {
    info = await (await fetch('/api/axis')).json();
  } catch {
    return;
  }
  const { card, list } = build(section, info);
  window.__frameseal_axis = { drawn: { protected: [], unprotected: [] } };
  const say = (state, message) => {
    card.dataset.state = state;
    const note = card.querySelector('.axis-note');
    note.textContent = message;
    note.hidden = false;
  };
  const switches = new FaultSwitches(list, SWITCHES, 'axisFault');
  await switches.refresh();
  setInterval(() => switches.refresh(), FAULT_POLL_MS);
  if (info.problem) {
    say('unavailable', `The Axis camera does not play: ${info.problem}`);
    return;
  }
  if (typeof VideoDecoder !== 'function' || typeof EncodedVideoChunk !== 'function') {
    say('unsupported', 'This browser has no WebCodecs VideoDecoder, which this tile needs to decode H.264 '
      + 'picture by picture: open the page in Chromium (or Firefox 130 or later) to see it.');
    return;
  }
  const config = { codec: info.codec, codedWidth: info.width, codedHeight: info.height };
  const support = await VideoDecoder.isConfigSupported(config).catch(() => ({ supported: false }));
  if (!support.supported) {
    say('unsupported', `This browser\u2019s VideoDecoder does not decode ${info.codec} (H.264): `
      + 'the tile cannot play here.');
    return;
  }
  // On the main page the tile is far down: it loads and plays once it is
  // scrolled into view (two H.264 decoders cost a page that does not show them).
  if (!(await visible(card))) return;
  try {
    await initSignedVideo();
  } catch (e) {
    say('failed', `frameseal/signed-video (pkg/signed-video/) did not load: ${e?.message ?? e}. `
      + 'Build it with ./build.sh build.');
    return;
  }
  const tile = new AxisTile(card, info);
  window.__frameseal_axis.tile = tile;
  tile.start();
  setInterval(() => tile.render(), RENDER_MS);
}

main();
