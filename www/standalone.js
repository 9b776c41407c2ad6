// frameseal live demo.
//
// Two simulated cameras sign JPEG frames; a relay that can be made to
// misbehave delivers them to two displays. The protected display verifies
// every frame against the Nursery camera's key and decodes only what passes;
// the unprotected one decodes and draws whatever it gets.
import init, { Verifier, Signer, fingerprint } from '../pkg/frameseal.js';
import {
  $, FrameCache, NaiveTally, ReasonTable, StillScreen, buildRelayCard, corrupt, el, fatal, fmt, makeCanvas,
  setLivePill, showFaultCount, start, unchecked,
} from './shared.js';

const FPS = 5;
const WIDTH = 640;
const HEIGHT = 360;
const JPEG_QUALITY = 0.82;
const HISTORY_MS = 16_000; // how long the relay's cache keeps delivered frames
const STALE_AFTER_MS = 10_500; // a "stale cache" frame is at least this old
const NOT_LIVE_AFTER_MS = 2_500;
const LOG_ROWS = 9;

// The drop reasons the counters always show, in this order: what the relay's
// faults cause. The others (names and meanings from the package) appear
// when they happen.
const ALWAYS_SHOWN = ['foreign-key', 'replayed', 'stale', 'bad-signature'];

// The relay's fault switches (Relay, below, applies them).
const SWITCHES = [
  { fault: 'mixup', title: 'Cache mix-up', desc: 'serves some Neighbour frames to this display' },
  { fault: 'replay', title: 'Replay old frames', desc: 're-sends frames it already delivered' },
  { fault: 'stale', title: 'Stale cache', desc: 'delivers frames held back for over 10\u00a0s' },
  { fault: 'corrupt', title: 'Corrupt bytes', desc: 'flips a bit in some frames' },
];
// The unprotected display's caption: what the bad frames it drew were.
const RAW_KINDS = { foreign: 'from the Neighbour\'s camera', old: 'old or repeated', damaged: 'damaged' };

// How the relay got a frame to the display; the display never sees this,
// it is only for the log.
const ORIGIN = {
  camera: { label: 'Nursery', cls: 'o-camera' },
  mixup: { label: 'Neighbour · mix-up', cls: 'o-mixup' },
  replay: { label: 'replay', cls: 'o-replay' },
  stale: { label: 'stale cache', cls: 'o-stale' },
  corrupt: { label: 'corrupted', cls: 'o-corrupt' },
};

// ---------------------------------------------------------------- cameras

const SCENES = {
  nursery: {
    name: 'NURSERY',
    title: 'Nursery',
    role: ['linked', 'pill-ok'], // the display is linked to this camera
    sky: ['#0d1b3d', '#1f3a6e'],
    accent: '#9cc7ff',
    draw: drawNursery,
  },
  neighbour: {
    name: 'NEIGHBOUR',
    title: 'Neighbour',
    role: ['stranger', 'pill-muted'],
    sky: ['#4a1d0c', '#b5521b'],
    accent: '#ffb46b',
    draw: drawNeighbour,
  },
};

function encodeJpeg(canvas) {
  if (typeof canvas.convertToBlob === 'function') {
    return canvas.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY });
  }
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('JPEG encoding failed'))),
      'image/jpeg', JPEG_QUALITY));
}

/** A camera: its key, its picture, and its card on the page (from #camera-template). */
class Camera {
  constructor(kind) {
    this.kind = kind;
    this.scene = SCENES[kind];
    this.signer = Signer.generate();
    this.publicKey = this.signer.publicKey;
    this.canvas = makeCanvas(WIDTH, HEIGHT);
    this.ctx = this.canvas.getContext('2d');
    this.count = 0;
    const card = $('camera-template').content.firstElementChild.cloneNode(true);
    const q = (sel) => card.querySelector(sel);
    card.classList.add(`cam-${kind}`);
    q('h2').textContent = `${this.scene.title} camera`;
    const [role, pill] = this.scene.role;
    q('.pill').textContent = role;
    q('.pill').classList.add(pill);
    q('.preview').setAttribute('aria-label', `What the ${this.scene.title} camera sees`);
    q('.camera-fp').textContent = fingerprint(this.publicKey);
    this.preview = q('.preview').getContext('2d');
    this.sent = q('.camera-sent');
    this.card = card;
  }

  /** Renders, encodes and signs one frame. */
  async capture(nowMs) {
    const { ctx, scene } = this;
    drawBackdrop(ctx, scene);
    scene.draw(ctx, nowMs);
    drawOverlay(ctx, scene, nowMs, this.count);
    this.preview.drawImage(this.canvas, 0, 0, this.preview.canvas.width, this.preview.canvas.height);
    const jpeg = new Uint8Array(await (await encodeJpeg(this.canvas)).arrayBuffer());
    const frame = this.signer.signFrame(jpeg, { keyframe: true, codec: 'jpeg' });
    this.count += 1;
    this.sent.textContent = fmt(this.count);
    return frame;
  }
}

function drawBackdrop(ctx, scene) {
  const g = ctx.createLinearGradient(0, 0, 0, HEIGHT);
  g.addColorStop(0, scene.sky[0]);
  g.addColorStop(1, scene.sky[1]);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, WIDTH, HEIGHT);
}

const STARS = Array.from({ length: 28 }, (_, i) => ({
  x: (i * 137.5) % WIDTH,
  y: 20 + ((i * 71) % 170),
  r: 0.8 + (i % 3) * 0.6,
  phase: i * 0.9,
}));

function drawNursery(ctx, t) {
  const s = t / 1000;
  for (const star of STARS) {
    ctx.globalAlpha = 0.35 + 0.35 * Math.sin(s * 2 + star.phase);
    ctx.fillStyle = '#ffffff';
    ctx.beginPath();
    ctx.arc(star.x, star.y, star.r, 0, Math.PI * 2);
    ctx.fill();
  }
  ctx.globalAlpha = 1;
  // A moon that sails across the window in 20 s.
  const p = (s % 20) / 20;
  const mx = 60 + p * (WIDTH - 120);
  const my = 150 - Math.sin(p * Math.PI) * 90;
  ctx.fillStyle = '#fff3c4';
  ctx.shadowColor = 'rgba(255, 240, 190, 0.8)';
  ctx.shadowBlur = 30;
  ctx.beginPath();
  ctx.arc(mx, my, 28, 0, Math.PI * 2);
  ctx.fill();
  ctx.shadowBlur = 0;
  ctx.fillStyle = '#1a2f5c';
  ctx.beginPath();
  ctx.arc(mx + 12, my - 7, 24, 0, Math.PI * 2);
  ctx.fill();
  // A cot in the foreground.
  ctx.fillStyle = '#0a1430';
  ctx.fillRect(0, HEIGHT - 70, WIDTH, 70);
  ctx.fillStyle = '#2c4a85';
  ctx.fillRect(190, HEIGHT - 150, 260, 12);
  ctx.fillRect(190, HEIGHT - 70, 260, 10);
  for (let x = 190; x <= 450; x += 26) ctx.fillRect(x, HEIGHT - 150, 6, 90);
  // Mobile above the cot, turning slowly.
  ctx.strokeStyle = '#6f8fc9';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(320, 0);
  ctx.lineTo(320, 70);
  ctx.stroke();
  for (let i = 0; i < 4; i += 1) {
    const a = s * 0.8 + (i * Math.PI) / 2;
    const x = 320 + Math.cos(a) * 60;
    const depth = 0.6 + 0.4 * Math.sin(a);
    ctx.beginPath();
    ctx.moveTo(320, 70);
    ctx.lineTo(x, 95);
    ctx.stroke();
    ctx.fillStyle = ['#ffd166', '#8fd6ff', '#f4a3c8', '#b7f0a6'][i];
    ctx.beginPath();
    ctx.arc(x, 105, 9 * depth + 3, 0, Math.PI * 2);
    ctx.fill();
  }
}

function drawNeighbour(ctx, t) {
  const s = t / 1000;
  // Sun low over rooftops.
  ctx.fillStyle = '#ffd59a';
  ctx.beginPath();
  ctx.arc(470, 120, 40, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#2b1208';
  const roofs = [[0, 190, 120], [110, 170, 140], [240, 200, 110], [340, 160, 150], [480, 185, 160]];
  for (const [x, y, w] of roofs) {
    ctx.fillRect(x, y, w, HEIGHT - y);
    ctx.beginPath();
    ctx.moveTo(x - 6, y);
    ctx.lineTo(x + w / 2, y - 40);
    ctx.lineTo(x + w + 6, y);
    ctx.fill();
  }
  ctx.fillStyle = '#ffc870';
  for (const [x, y, w] of roofs) {
    for (let wx = x + 18; wx < x + w - 24; wx += 40) ctx.fillRect(wx, y + 30, 16, 20);
  }
  // Road and a car driving across every 6 s.
  ctx.fillStyle = '#1a0b05';
  ctx.fillRect(0, HEIGHT - 60, WIDTH, 60);
  ctx.fillStyle = '#ffb46b';
  for (let x = ((s * 80) % 60) - 60; x < WIDTH; x += 60) ctx.fillRect(x, HEIGHT - 32, 30, 4);
  const cx = ((s % 6) / 6) * (WIDTH + 200) - 150;
  ctx.fillStyle = '#e84a2f';
  roundRect(ctx, cx, HEIGHT - 95, 150, 40, 10);
  roundRect(ctx, cx + 30, HEIGHT - 125, 80, 36, 12);
  ctx.fillStyle = '#ffe2b8';
  ctx.fillRect(cx + 40, HEIGHT - 118, 28, 22);
  ctx.fillRect(cx + 74, HEIGHT - 118, 28, 22);
  ctx.fillStyle = '#111';
  for (const wx of [cx + 32, cx + 118]) {
    ctx.beginPath();
    ctx.arc(wx, HEIGHT - 52, 14, 0, Math.PI * 2);
    ctx.fill();
  }
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
  ctx.fill();
}

function clock(ms) {
  const d = new Date(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${Math.floor(d.getMilliseconds() / 100)}`;
}

function drawOverlay(ctx, scene, t, n) {
  ctx.textBaseline = 'middle';
  // Camera name, top left.
  ctx.font = '600 20px system-ui, sans-serif';
  const nameWidth = ctx.measureText(scene.name).width;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.45)';
  roundRect(ctx, 14, 14, nameWidth + 56, 40, 8);
  ctx.fillStyle = scene.accent;
  ctx.beginPath();
  ctx.arc(36, 34, 7, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.fillText(scene.name, 52, 35);
  // Frame number, top right.
  ctx.textAlign = 'right';
  ctx.font = '500 14px ui-monospace, monospace';
  ctx.fillStyle = 'rgba(255, 255, 255, 0.8)';
  ctx.fillText(`#${n}`, WIDTH - 24, 34);
  // Clock, bottom right.
  ctx.font = '600 22px ui-monospace, monospace';
  const time = clock(t);
  const timeWidth = ctx.measureText(time).width;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.5)';
  roundRect(ctx, WIDTH - timeWidth - 42, HEIGHT - 54, timeWidth + 28, 40, 8);
  ctx.fillStyle = '#ffffff';
  ctx.fillText(time, WIDTH - 28, HEIGHT - 33);
  ctx.textAlign = 'left';
}

// ---------------------------------------------------------------- relay

/** The untrusted middle: forwards camera frames, with optional faults. */
class Relay {
  constructor() {
    this.faults = { mixup: false, replay: false, stale: false, corrupt: false };
    this.cache = new FrameCache({ maxAgeMs: HISTORY_MS }); // genuine Nursery frames delivered intact
  }

  /** The deliveries for one tick: [{ frame, origin }], in delivery order. */
  route(nurseryFrame, neighbourFrame, at) {
    const out = [];
    const f = this.faults;
    if (f.corrupt && Math.random() < 0.3) {
      out.push({ frame: corrupt(nurseryFrame), origin: 'corrupt' });
    } else {
      out.push({ frame: nurseryFrame, origin: 'camera' });
      this.cache.add(nurseryFrame, at);
    }
    if (f.mixup && Math.random() < 0.5) out.push({ frame: neighbourFrame, origin: 'mixup' });
    const old = (origin, minAge, maxAge) => {
      const frame = this.cache.pick(at, minAge, maxAge);
      if (frame) out.push({ frame, origin });
    };
    if (f.replay && Math.random() < 0.35) old('replay', 400, 5_000);
    if (f.stale && Math.random() < 0.25) old('stale', STALE_AFTER_MS, HISTORY_MS);
    return out;
  }

  /** How long until the cache holds a frame old enough for the stale fault. */
  staleReadyIn(at) {
    return Math.max(0, STALE_AFTER_MS - this.cache.oldestAge(at));
  }
}

// ---------------------------------------------------------------- displays

class ProtectedDisplay {
  constructor(linkedKey) {
    this.verifier = new Verifier(linkedKey, {});
    this.screen = new StillScreen($('screen-protected'));
    this.lastDrawnAt = null;
    this.lastAccepted = null;
  }

  receive(frame) {
    const r = this.verifier.verify(frame);
    if (r.ok) {
      // Only a frame that passed every check reaches the decoder.
      const accepted = { seq: r.seq, timestampUs: r.timestampUs, bytes: r.payload.byteLength };
      this.screen.show(r.payload).then((drawn) => {
        if (drawn) {
          this.lastDrawnAt = performance.now();
          this.lastAccepted = accepted;
        }
      });
    }
    return r;
  }
}

class UnprotectedDisplay {
  constructor() {
    this.screen = new StillScreen($('screen-unprotected'));
    this.tally = new NaiveTally($('intruder'), 'Neighbour\'s camera');
  }

  /** Draws the payload of whatever arrives; `verdict` (the protected display's) is for the caption only. */
  receive(frame, verdict) {
    this.screen.show(unchecked.payload(frame)).then((drawn) => {
      if (drawn) this.tally.drew(verdict);
    });
  }
}

// ---------------------------------------------------------------- UI

function addLog(seq, result, origin) {
  const list = $('log');
  const seqText = seq === null ? 'seq ?' : `seq ${seq}`;
  const li = el('li', result.ok ? 'entry ok' : 'entry drop');
  li.append(
    el('span', 'entry-time mono', clock(Date.now()).slice(0, 8)),
    el('span', 'entry-text mono', result.ok ? `${seqText} · accepted · drawn` : `${seqText} · ${result.reason} · dropped`),
    el('span', `chip ${ORIGIN[origin].cls}`, ORIGIN[origin].label),
  );
  list.prepend(li);
  while (list.children.length > LOG_ROWS) list.lastElementChild.remove();
}

function renderLive(display, now) {
  const pill = $('live');
  const overlay = $('stall');
  const screen = $('screen-protected').parentElement;
  if (display.lastDrawnAt === null) return;
  const idle = now - display.lastDrawnAt;
  const live = idle < NOT_LIVE_AFTER_MS;
  setLivePill(pill, '', live ? 'live' : 'not live');
  overlay.hidden = live;
  screen.classList.toggle('stalled', !live);
  if (!live) $('stall-text').textContent = `no verified frame for ${(idle / 1000).toFixed(0)} s`;
  const a = display.lastAccepted;
  if (a) {
    const age = Math.max(0, Date.now() - a.timestampUs / 1000) / 1000;
    $('protected-caption').textContent =
      `seq ${a.seq} · captured ${age.toFixed(1)} s ago · ${(a.bytes / 1024).toFixed(1)} KB · signature verified`;
  }
}

function renderRelay(relay, now) {
  showFaultCount(Object.values(relay.faults).filter(Boolean).length);
  const note = $('relay-note');
  const wait = relay.faults.stale ? relay.staleReadyIn(now) : 0;
  note.textContent = wait > 0
    ? `Stale cache: holding frames back, the first one is ${Math.ceil(wait / 1000)} s away.`
    : '';
}

// ---------------------------------------------------------------- main

async function main() {
  if (!await start(init, 'Build it with ./build.sh build and serve the repository root, then open /www/.')) return;

  let nursery;
  let neighbour;
  let display;
  try {
    nursery = new Camera('nursery');
    neighbour = new Camera('neighbour');
    display = new ProtectedDisplay(nursery.publicKey);
  } catch (e) {
    fatal(`Setting up the cameras failed: ${e?.message ?? e}`);
    return;
  }
  const unprotected = new UnprotectedDisplay();
  const relay = new Relay();
  const counters = new ReasonTable($('counters'), ALWAYS_SHOWN);

  $('pipeline').prepend(nursery.card, neighbour.card);
  $('fp-linked').textContent = fingerprint(display.verifier.linkedPublicKey);

  for (const input of buildRelayCard($('relay'), SWITCHES)) {
    relay.faults[input.dataset.fault] = input.checked;
    input.addEventListener('change', () => {
      relay.faults[input.dataset.fault] = input.checked;
      renderRelay(relay, performance.now());
    });
  }

  let busy = false;
  let failed = false;
  async function tick() {
    if (busy || failed) return;
    busy = true;
    try {
      const now = performance.now();
      const wall = Date.now();
      const [a, b] = await Promise.all([nursery.capture(wall), neighbour.capture(wall)]);
      for (const { frame, origin } of relay.route(a, b, now)) {
        const result = display.receive(frame);
        unprotected.receive(frame, result);
        addLog(unchecked.seq(frame), result, origin);
      }
      counters.render([display.verifier.stats()]);
      renderRelay(relay, now);
    } catch (e) {
      failed = true;
      fatal(`The demo stopped: ${e?.message ?? e}`);
    } finally {
      busy = false;
    }
  }

  setInterval(tick, 1000 / FPS);
  setInterval(() => {
    const now = performance.now();
    renderLive(display, now);
    unprotected.tally.render($('unprotected-caption'), now, `Drew ${fmt(unprotected.tally.drawn)} frames`, RAW_KINDS);
  }, 100);
  $('app').removeAttribute('aria-busy');
  tick();
}

main();
