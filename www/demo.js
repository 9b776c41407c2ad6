// frameseal relay demo: the page `frameseal-demo` (demo/) serves.
//
// For each camera the server simulates, the page links the camera's public key
// (from /api/cameras on first load, standing in for pairing, or typed in as a
// pairing code) and keeps it in localStorage; it opens one WebSocket to the
// relay and says hello on it: {"session": a random stream id picked for this
// page load, "key": the key it holds}. The camera then signs this display's
// frames on that stream only (session binding: the display's FrameGate is
// pinned to it), and, if the display holds a key the camera has rotated away
// from, the relay first sends the chain of rotation frames from it. Every
// frame that arrives goes to two displays:
// - protected: a FrameGate, which verifies the frame against the linked key and
//   decodes and draws it only if it passes;
// - unprotected: decodes and draws the payload of whatever arrives, as a naive
//   viewer would.
// The relay's faults are switched here or with POST /api/faults. Beside the
// still cameras, a VP8 video camera encoded in this page (video-camera.js)
// goes through an in-page relay, worked by the same switches, to a VideoGate.
import init, { FrameGate, fingerprint, parsePairingCode } from '../pkg/frameseal.js';
import {
  $, NaiveTally, ReasonTable, StillScreen, buildRelayCard, displayTiles, dropChips, el, fatal, fmt, setLivePill,
  showFaultCount, start, unchecked,
} from './shared.js';
import { VideoTile } from './video-camera.js';

const FAULT_POLL_MS = 2000;
const RENDER_MS = 250;
// FrameGate's liveness and reports, short so a person sees them move.
const STALL_AFTER_MS = 2000;
const REPORT_INTERVAL_MS = 2000;
const REPORT_POLL_MS = 2000;
const CHART_WINDOW_MS = 180_000;
// Chart colours by drop reason (the legend's are in style.css, .lg-*).
const CHART_COLOURS = {
  'foreign-key': '#ff5d6c',
  'wrong-stream': '#c77dff',
  stale: '#ffb547',
  replayed: '#7fb2ff',
  'bad-signature': '#ff8fab',
};
const CHART_OTHER = '#a0a0a0';
const CHART_STALLED = '#5f6f89';
// The unprotected screens' captions: what the bad frames they drew were.
const RAW_KINDS = { foreign: 'from other cameras', old: 'old, repeated or of another session', damaged: 'damaged' };

// The drop reasons the counters always show, in this order: what the relay's
// faults cause. The others (names and meanings from the package) appear
// when they happen.
const ALWAYS_SHOWN = ['foreign-key', 'wrong-stream', 'stale', 'replayed', 'bad-signature'];

// The relay's fault switches (demo/src/faults.rs applies them).
const SWITCHES = [
  { fault: 'mixup', title: 'Cache mix-up', desc: 'serves other cameras\' frames and old cached ones' },
  { fault: 'loss', title: 'Loss', desc: 'drops one frame in five' },
  { fault: 'duplication', title: 'Duplication', desc: 'sends one frame in four twice' },
  { fault: 'reordering', title: 'Reordering', desc: 'holds some frames back behind the next' },
  { fault: 'farreordering', title: 'Far reordering', desc: 'holds a frame in ten back behind 70 others (past the replay window)' },
  { fault: 'delay', title: 'Delay', desc: 'delivers every frame 1\u20132.5\u00a0s late' },
  { fault: 'longdelay', title: 'Long delay', desc: 'delivers a frame in five 11\u201314\u00a0s late (past the max age)' },
  { fault: 'corruption', title: 'Corruption', desc: 'flips a bit in some frames' },
  { fault: 'blackhole', title: 'Blackhole', desc: 'delivers nothing: every display should say it is not live' },
];

function hexToBytes(hex) {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`not hex: ${hex}`);
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Where the page keeps the key a display is linked to (one server run). */
const keyStore = {
  name: (run, camera) => `frameseal-demo/${run}/${camera}`,
  get(run, camera) {
    try {
      const hex = localStorage.getItem(this.name(run, camera));
      return hex && /^[0-9a-f]{64}$/.test(hex) ? hexToBytes(hex) : null;
    } catch {
      return null;
    }
  },
  set(run, camera, key) {
    try {
      localStorage.setItem(this.name(run, camera), toHex(key));
    } catch {
      // Private mode: the link lasts as long as the page.
    }
  },
};

async function getJson(url, init) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${url}: HTTP ${response.status}`);
  return body;
}

/** Camera names by key id (the first 8 bytes of SHA-512 of the public key). */
async function namesByKeyId(cameras) {
  const names = new Map();
  if (!globalThis.crypto?.subtle) return names;
  for (const cam of cameras) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-512', hexToBytes(cam.publicKey)));
    names.set(toHex(digest.subarray(0, 8)), cam.name);
  }
  return names;
}

// ---------------------------------------------------------------- displays

/** One camera: its linked key, its two displays and its WebSocket. */
class Feed {
  constructor(cam, picture, names, run) {
    this.cam = cam;
    this.names = names;
    this.run = run;
    const node = $('feed-template').content.firstElementChild.cloneNode(true);
    node.classList.add(`cam-${cam.id}`);
    node.dataset.camera = cam.id;
    const q = (sel) => node.querySelector(sel);
    q('.drops').before(...displayTiles(
      {
        title: 'With frameseal',
        pill: el('span', 'pill pill-wait feed-live', 'starting'),
        canvas: 'gate-canvas',
        label: `${cam.name}: only frames signed by the linked key`,
        caption: 'feed-verified',
        waiting: 'Waiting for the first verified frame…',
      },
      {
        title: 'Unprotected',
        canvas: 'raw-canvas',
        label: `${cam.name}: every frame the relay delivers`,
        caption: 'feed-raw',
        waiting: 'Waiting for frames…',
        flag: 'screen-flag',
      },
    ));
    q('.feed-name').textContent = `${cam.name} camera`;
    this.live = q('.feed-live');
    this.verified = q('.feed-verified');
    this.rawCaption = q('.feed-raw');
    this.drops = q('.drops');
    this.fp = q('.feed-fp');
    this.cameraFp = q('.camera-fp');
    this.cameraCode = q('.camera-pairing');
    this.cameraNote = q('.camera-note');
    this.pairNote = q('.pair-note');
    this.gateCanvas = q('.gate-canvas');
    const rawCanvas = q('.raw-canvas');
    for (const c of [this.gateCanvas, rawCanvas]) {
      c.width = picture.width;
      c.height = picture.height;
    }
    this.chart = new DropChart(q('.chart-canvas'), q('.chart-legend'));

    // Session binding: a fresh stream id for this viewing session (this
    // page load); the camera signs this display's frames on it, and the
    // gate accepts no other stream, not even the same camera's.
    this.session = crypto.getRandomValues(new Uint8Array(16));
    node.dataset.session = toHex(this.session);
    q('.feed-session').textContent = `session ${toHex(this.session).slice(0, 8)}…`;
    this.drawnOtherStream = 0;
    this.rawOtherSession = 0;
    this.rotations = 0;

    this.showCamera(cam);
    this.link(keyStore.get(run, cam.id) ?? hexToBytes(cam.publicKey));
    this.raw = new StillScreen(rawCanvas);
    this.rawTally = new NaiveTally(q('.screen-flag'), 'Another camera');
    this.lastShown = null;
    this.node = node;

    q('.rotate-btn').addEventListener('click', (e) => this.rotateCamera(e.currentTarget));
    q('.pair-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.linkByCode(q('.pair-input').value);
    });
    this.connect();
  }

  /** What the camera itself shows: its key's fingerprint and pairing code. */
  showCamera(cam) {
    this.cameraFp.textContent = cam.fingerprint;
    this.cameraCode.textContent = cam.pairingCode;
  }

  /** Links the protected display to `key` (a new FrameGate on the same canvas). */
  link(key) {
    const old = this.gate;
    this.gate = new FrameGate(this.gateCanvas, key, {
      streamId: this.session,
      stallAfterMs: STALL_AFTER_MS,
      onStall: () => this.setLive('not live'),
      onResume: () => this.setLive('live'),
      reportIntervalMs: REPORT_INTERVAL_MS,
      onReport: (report) => {
        navigator.sendBeacon('/api/reports', JSON.stringify({ camera: this.cam.id, report }));
      },
    });
    this.carried = old ? sumStats(this.carried, old.stats()) : null;
    try {
      old?.free();
    } catch {
      // already gone
    }
    this.fp.textContent = fingerprint(this.gate.linkedPublicKey);
    keyStore.set(this.run, this.cam.id, this.gate.linkedPublicKey);
  }

  linkByCode(text) {
    let key;
    try {
      key = parsePairingCode(text);
    } catch (e) {
      this.pairNote.textContent = e.message;
      this.pairNote.className = 'pair-note pair-error';
      return;
    }
    this.link(key);
    this.pairNote.textContent = `Linked to ${fingerprint(key)}: compare it with the camera's.`;
    this.pairNote.className = 'pair-note pair-ok';
    this.hello();
  }

  async rotateCamera(button) {
    button.disabled = true;
    try {
      const cam = await getJson(`/api/cameras/${encodeURIComponent(this.cam.id)}/rotate`, { method: 'POST' });
      this.showCamera(cam);
      this.cameraNote.textContent = `new key; was ${cam.previousFingerprint}`;
    } catch (e) {
      this.cameraNote.textContent = `rotation failed: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  }

  setLive(state) {
    setLivePill(this.live, 'feed-live', state);
  }

  /** The control message: this session's stream id and the key held. */
  hello() {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ session: toHex(this.session), key: toHex(this.gate.linkedPublicKey) }));
  }

  connect() {
    const ws = new WebSocket(`ws://${location.host}/ws/${encodeURIComponent(this.cam.id)}`);
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => this.hello();
    ws.onmessage = (event) => this.receive(new Uint8Array(event.data));
    ws.onclose = () => {
      this.setLive('reconnecting');
      setTimeout(() => this.connect(), 1000);
    };
  }

  receive(frame) {
    let verdict;
    const gate = this.gate;
    try {
      verdict = gate.push(frame); // verified now; decoded only if accepted
    } catch (e) {
      verdict = Promise.resolve({ ok: false, reason: 'malformed', drawn: false, error: e });
    }
    verdict.then((r) => {
      if (r.newPublicKey && gate === this.gate) {
        // The camera replaced its key, told us with a frame signed by the
        // key we trust: keep the new one where the old one was kept.
        this.rotations += 1;
        keyStore.set(this.run, this.cam.id, gate.linkedPublicKey);
        this.fp.textContent = fingerprint(gate.linkedPublicKey);
        this.pairNote.textContent = `The camera rotated its key; now linked to ${fingerprint(gate.linkedPublicKey)}.`;
        this.pairNote.className = 'pair-note pair-ok';
      }
      if (!r.ok || !r.drawn) return;
      if (toHex(r.streamId) !== toHex(this.session)) this.drawnOtherStream += 1;
      this.lastShown = r;
      if (this.live.textContent !== 'live' && gate.live) this.setLive('live');
    }, () => {});
    const name = this.names.get(toHex(unchecked.keyId(frame)));
    const otherSession = name === this.cam.name && toHex(unchecked.streamId(frame)) !== toHex(this.session);
    Promise.all([verdict, this.raw.show(unchecked.payload(frame))]).then(([r, rawDrawn]) => {
      if (!rawDrawn) return;
      if (otherSession) this.rawOtherSession += 1;
      this.rawTally.drew(r, name ? `${name} camera` : undefined);
    }, () => {});
  }

  /** This display's counts since the page loaded, across re-links. */
  stats() {
    return sumStats(this.carried, this.gate.stats());
  }

  render(now) {
    const stats = this.stats();
    const shown = this.lastShown;
    if (shown) {
      const age = Math.max(0, Date.now() - shown.timestampUs / 1000) / 1000;
      this.verified.textContent = `seq ${shown.seq} · captured ${age.toFixed(1)} s ago · signature verified`;
    }
    this.rawTally.render(this.rawCaption, now, `Drew ${fmt(this.rawTally.drawn)} frames`, RAW_KINDS);
    this.node.dataset.drawnOtherStream = String(this.drawnOtherStream);
    this.node.dataset.rawOtherSession = String(this.rawOtherSession);
    this.node.dataset.rotations = String(this.rotations);

    this.drops.replaceChildren(...dropChips(stats));
    return stats;
  }
}

/** Adds two stats objects ({accepted, dropped: {reason: n}}); `a` may be null. */
function sumStats(a, b) {
  if (!a) return b;
  const dropped = { ...a.dropped };
  for (const [reason, n] of Object.entries(b.dropped)) dropped[reason] = (dropped[reason] ?? 0) + n;
  return { accepted: a.accepted + b.accepted, dropped };
}

// ---------------------------------------------------------------- report chart

/**
 * A camera's drops by reason over the last minutes, from the reports the
 * displays sent the server: one stacked bar per report, newest on the
 * right; a grey bar under the axis where a display was not live.
 */
class DropChart {
  constructor(canvas, legend) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.legend = legend;
    this.shownReasons = '';
  }

  draw(reports, nowMs) {
    const { ctx, canvas } = this;
    const w = canvas.width;
    const h = canvas.height;
    const base = h - 8; // the strip under the axis shows stalls
    ctx.clearRect(0, 0, w, h);
    const since = nowMs - CHART_WINDOW_MS;
    const recent = reports.filter((r) => r.atMs > since);
    let peak = 4;
    let drops = 0;
    const reasons = new Set();
    for (const r of recent) {
      let sum = 0;
      for (const [reason, n] of Object.entries(r.dropped)) {
        sum += n;
        reasons.add(reason);
      }
      drops += sum;
      peak = Math.max(peak, sum);
    }
    const x = (atMs) => ((atMs - since) / CHART_WINDOW_MS) * w;
    const barW = Math.max(2, (REPORT_INTERVAL_MS / CHART_WINDOW_MS) * w - 1);
    ctx.fillStyle = '#243147';
    ctx.fillRect(0, base, w, 1);
    for (const r of recent) {
      const left = x(r.atMs) - barW;
      let top = base;
      for (const [reason, n] of Object.entries(r.dropped).sort()) {
        const hgt = (n / peak) * (base - 12);
        top -= hgt;
        ctx.fillStyle = CHART_COLOURS[reason] ?? CHART_OTHER;
        ctx.fillRect(left, top, barW, hgt);
      }
      if (r.stalledMs > 0) {
        ctx.fillStyle = CHART_STALLED;
        ctx.fillRect(left, base + 2, barW, 5);
      }
    }
    ctx.fillStyle = '#8b9bb4';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText(`${peak} per report`, 4, 2);
    ctx.textAlign = 'right';
    ctx.fillText('now', w - 2, 2);
    ctx.textAlign = 'left';
    canvas.dataset.reports = String(recent.length);
    canvas.dataset.drops = String(drops);
    const key = [...reasons].sort().join(',');
    if (key !== this.shownReasons) {
      this.shownReasons = key;
      const items = [...reasons].sort().map((reason) => el('li', `lg-${reason}`, reason));
      this.legend.replaceChildren(...items, el('li', 'lg-stalled', 'not live'));
    }
  }
}

async function pollReports(feeds) {
  try {
    const { nowMs, cameras } = await getJson('/api/reports');
    for (const feed of feeds) feed.chart.draw(cameras[feed.cam.id] ?? [], nowMs);
  } catch {
    // the relay's note says when it is away
  }
}

// ---------------------------------------------------------------- faults

/** The fault switches, kept in step with the server's state. */
class FaultPanel {
  constructor(onState) {
    this.onState = onState;
    this.inputs = buildRelayCard($('relay'), SWITCHES, 'toggles toggles-3');
    this.busy = 0;
    for (const input of this.inputs) {
      input.addEventListener('change', () => this.set({ [input.dataset.fault]: input.checked }));
    }
  }

  async set(change) {
    this.busy += 1;
    try {
      this.show(await getJson('/api/faults', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(change),
      }));
      $('relay-note').textContent = '';
    } catch (e) {
      $('relay-note').textContent = `The relay refused the change: ${e.message}`;
      await this.refresh();
    } finally {
      this.busy -= 1;
    }
  }

  async refresh() {
    try {
      const state = await getJson('/api/faults');
      if (this.busy === 0) this.show(state);
    } catch {
      $('relay-note').textContent = 'The relay is not answering.';
    }
  }

  show(state) {
    for (const input of this.inputs) input.checked = Boolean(state[input.dataset.fault]);
    this.onState?.(state);
    showFaultCount(this.inputs.filter((i) => i.checked).length);
  }
}

// ---------------------------------------------------------------- main

async function main() {
  if (!await start(init, 'Build it with ./build.sh build, then start frameseal-demo again (./build.sh demo).')) return;
  let info;
  try {
    info = await getJson('/api/cameras');
  } catch (e) {
    fatal(`The relay did not list its cameras (${e.message}). This page is served by ` +
      '`frameseal-demo` (./build.sh demo); the standalone demo works without a server.');
    return;
  }
  const names = await namesByKeyId(info.cameras);
  let feeds;
  try {
    feeds = info.cameras.map((cam) => new Feed(cam, info.picture, names, info.run));
  } catch (e) {
    fatal(`Linking the cameras failed: ${e?.message ?? e}`);
    return;
  }
  $('wall').replaceChildren(...feeds.map((f) => f.node));
  const video = new VideoTile($('video-feed'), { stallAfterMs: STALL_AFTER_MS });
  video.start();
  const counters = new ReasonTable($('counters'), ALWAYS_SHOWN);
  const faults = new FaultPanel((state) => video.setFaults(state));
  await faults.refresh();
  setInterval(() => faults.refresh(), FAULT_POLL_MS);
  setInterval(() => {
    const now = performance.now();
    const all = feeds.map((f) => f.render(now));
    const videoStats = video.render(now);
    if (videoStats) all.push(videoStats);
    counters.render(all);
  }, RENDER_MS);
  setInterval(() => pollReports(feeds), REPORT_POLL_MS);
  $('app').removeAttribute('aria-busy');
}

main();
