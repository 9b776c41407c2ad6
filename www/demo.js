// frameseal relay demo: the page `frameseal demo` serves.
//
// For each camera the server simulates, the page links the camera's public key
// (fetched once from /api/cameras, standing in for pairing) and opens one
// WebSocket to the relay. Every frame that arrives goes to two displays:
// - protected: a FrameGate, which verifies the frame against the linked key and
//   decodes and draws it only if it passes;
// - unprotected: decodes and draws the payload of whatever arrives, as a naive
//   viewer would.
// The relay's faults are switched here or with POST /api/faults.
import init, { FrameGate, fingerprint } from '../pkg/frameseal.js';

const HEADER_LEN = 52;
const FAULT_POLL_MS = 2000;
const RENDER_MS = 250;
const FLAG_MS = 900;

// Drop reasons in SPEC §3 check order, with a line a person understands. The
// first four are what the relay's faults cause; the rest appear if they happen.
const REASONS = [
  ['foreign-key', 'signed by another camera'],
  ['stale', 'captured more than 10 s ago'],
  ['replayed', 'already shown once'],
  ['bad-signature', 'bytes changed after signing'],
  ['malformed', 'not a frame'],
  ['unsupported-version', 'unknown format version'],
  ['too-large', 'payload over the limit'],
  ['wrong-stream', 'another stream of this camera'],
  ['future', 'timestamp in the future'],
  ['bad-rotation', 'refused key rotation'],
];
const ALWAYS_SHOWN = 4;

const $ = (id) => document.getElementById(id);
const fmt = (n) => n.toLocaleString('en-US');

function fatal(message) {
  $('fatal-message').textContent = message;
  $('fatal').hidden = false;
  $('app').classList.add('failed');
}

function hexToBytes(hex) {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error(`not hex: ${hex}`);
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

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

/** What a naive viewer does: draw the payload of every frame, in arrival order. */
class NaiveScreen {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.chain = Promise.resolve();
  }

  /** Resolves to whether the frame's payload decoded and was drawn. */
  show(frame) {
    let payload = new Uint8Array(0);
    if (frame.byteLength >= HEADER_LEN) {
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      payload = frame.subarray(HEADER_LEN, HEADER_LEN + view.getUint32(48));
    }
    const blob = new Blob([payload], { type: 'image/jpeg' });
    const drawn = this.chain.then(async () => {
      let bitmap;
      try {
        bitmap = await createImageBitmap(blob);
      } catch {
        return false;
      }
      this.ctx.drawImage(bitmap, 0, 0, this.canvas.width, this.canvas.height);
      bitmap.close();
      return true;
    });
    this.chain = drawn;
    return drawn;
  }
}

const FLAGS = {
  'foreign-key': (name) => (name ? `${name} camera` : 'Another camera'),
  stale: () => 'Frame from 10+ s ago',
  replayed: () => 'Repeated frame',
  'bad-signature': () => 'Damaged frame',
  malformed: () => 'Damaged frame',
};

/** One camera: its linked key, its two displays and its WebSocket. */
class Feed {
  constructor(cam, picture, names) {
    this.cam = cam;
    this.names = names;
    const node = $('feed-template').content.firstElementChild.cloneNode(true);
    node.classList.add(`cam-${cam.id}`);
    node.dataset.camera = cam.id;
    const q = (sel) => node.querySelector(sel);
    q('.feed-name').textContent = `${cam.name} camera`;
    this.live = q('.feed-live');
    this.verified = q('.feed-verified');
    this.rawCaption = q('.feed-raw');
    this.flag = q('.screen-flag');
    this.drops = q('.drops');
    const gateCanvas = q('.gate-canvas');
    const rawCanvas = q('.raw-canvas');
    for (const c of [gateCanvas, rawCanvas]) {
      c.width = picture.width;
      c.height = picture.height;
    }
    gateCanvas.setAttribute('aria-label', `${cam.name}: only frames signed by the linked key`);
    rawCanvas.setAttribute('aria-label', `${cam.name}: every frame the relay delivers`);

    const linkedKey = hexToBytes(cam.publicKey);
    this.gate = new FrameGate(gateCanvas, linkedKey, {
      onStall: () => this.setLive('not live'),
      onResume: () => this.setLive('live'),
    });
    q('.feed-fp').textContent = fingerprint(this.gate.linkedPublicKey);
    this.raw = new NaiveScreen(rawCanvas);
    this.rawDrawn = 0;
    this.rawBad = { foreign: 0, old: 0, damaged: 0 };
    this.flagUntil = 0;
    this.lastShown = null;
    this.node = node;
    this.connect();
  }

  setLive(state) {
    this.live.textContent = state;
    this.live.className = `pill feed-live ${state === 'live' ? 'pill-live' : state === 'not live' ? 'pill-bad' : 'pill-wait'}`;
  }

  connect() {
    const ws = new WebSocket(`ws://${location.host}/ws/${encodeURIComponent(this.cam.id)}`);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => this.receive(new Uint8Array(event.data));
    ws.onclose = () => {
      this.setLive('reconnecting');
      setTimeout(() => this.connect(), 1000);
    };
  }

  receive(frame) {
    let verdict;
    try {
      verdict = this.gate.push(frame); // verified now; decoded only if accepted
    } catch (e) {
      verdict = Promise.resolve({ ok: false, reason: 'malformed', drawn: false, error: e });
    }
    verdict.then((r) => {
      if (!r.ok || !r.drawn) return;
      this.lastShown = r;
      if (this.live.textContent !== 'live' && this.gate.live) this.setLive('live');
    });
    Promise.all([verdict, this.raw.show(frame)]).then(([r, rawDrawn]) => {
      if (!rawDrawn) return;
      this.rawDrawn += 1;
      if (r.ok) {
        this.flag.hidden = true; // the flag names what is on screen, nothing older
        return;
      }
      if (r.reason === 'foreign-key') this.rawBad.foreign += 1;
      else if (r.reason === 'stale' || r.reason === 'replayed') this.rawBad.old += 1;
      else this.rawBad.damaged += 1;
      const name = this.names.get(toHex(frame.subarray(8, 16)));
      this.flag.textContent = (FLAGS[r.reason] ?? (() => 'Unverified frame'))(name);
      this.flag.className = `screen-flag flag-${r.reason}`;
      this.flag.hidden = false;
      this.flagUntil = performance.now() + FLAG_MS;
    });
  }

  render(now) {
    const stats = this.gate.stats();
    const shown = this.lastShown;
    if (shown) {
      const age = Math.max(0, Date.now() - shown.timestampUs / 1000) / 1000;
      this.verified.textContent = `seq ${shown.seq} · captured ${age.toFixed(1)} s ago · signature verified`;
    }
    const bad = [];
    if (this.rawBad.foreign) bad.push(`${fmt(this.rawBad.foreign)} from other cameras`);
    if (this.rawBad.old) bad.push(`${fmt(this.rawBad.old)} old or repeated`);
    if (this.rawBad.damaged) bad.push(`${fmt(this.rawBad.damaged)} damaged`);
    const parts = [document.createTextNode(`Drew ${fmt(this.rawDrawn)} frames`)];
    if (bad.length) {
      parts.push(document.createTextNode(', including '));
      const strong = document.createElement('strong');
      strong.textContent = bad.join(', ');
      parts.push(strong);
    }
    parts.push(document.createTextNode('.'));
    this.rawCaption.replaceChildren(...parts);
    if (now > this.flagUntil) this.flag.hidden = true;

    const chips = [];
    const ok = document.createElement('li');
    ok.className = 'drop drop-ok';
    ok.textContent = `accepted ${fmt(stats.accepted)}`;
    chips.push(ok);
    for (const [reason] of REASONS) {
      const n = stats.dropped[reason] ?? 0;
      if (!n) continue;
      const li = document.createElement('li');
      li.className = 'drop';
      li.dataset.reason = reason;
      li.dataset.count = String(n);
      li.textContent = `${reason} ${fmt(n)}`;
      chips.push(li);
    }
    this.drops.replaceChildren(...chips);
    return stats;
  }
}

// ---------------------------------------------------------------- totals

function buildReasonRows() {
  const list = $('reasons');
  const rows = new Map();
  REASONS.forEach(([reason, text], i) => {
    const li = document.createElement('li');
    li.className = 'reason';
    li.hidden = i >= ALWAYS_SHOWN;
    li.dataset.reason = reason;
    li.dataset.count = '0';
    const name = document.createElement('span');
    name.className = 'reason-name mono';
    name.textContent = reason;
    const desc = document.createElement('span');
    desc.className = 'reason-desc';
    desc.textContent = text;
    const num = document.createElement('span');
    num.className = 'reason-num';
    num.textContent = '0';
    li.append(name, desc, num);
    list.append(li);
    rows.set(reason, { li, num, last: 0 });
  });
  return rows;
}

function renderTotals(all, rows) {
  let accepted = 0;
  let dropped = 0;
  for (const s of all) accepted += s.accepted;
  for (const [reason, row] of rows) {
    const n = all.reduce((sum, s) => sum + (s.dropped[reason] ?? 0), 0);
    dropped += n;
    if (n === row.last) continue;
    row.num.textContent = fmt(n);
    row.li.dataset.count = String(n);
    row.li.hidden = false;
    row.li.classList.add('nonzero');
    row.li.classList.remove('bump');
    void row.li.offsetWidth; // restart the highlight animation
    row.li.classList.add('bump');
    row.last = n;
  }
  $('c-accepted').textContent = fmt(accepted);
  $('c-dropped').textContent = fmt(dropped);
}

// ---------------------------------------------------------------- faults

/** The fault switches, kept in step with the server's state. */
class FaultPanel {
  constructor() {
    this.inputs = [...document.querySelectorAll('input[data-fault]')];
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
    const on = this.inputs.filter((i) => i.checked).length;
    const pill = $('relay-state');
    pill.textContent = on ? `${on} fault${on > 1 ? 's' : ''} on` : 'healthy';
    pill.className = `pill ${on ? 'pill-warn' : 'pill-muted'}`;
  }
}

// ---------------------------------------------------------------- main

async function main() {
  try {
    await init();
  } catch (e) {
    fatal(`The frameseal WebAssembly module failed to load (${e?.message ?? e}). ` +
      'Build it with ./build.sh build, then start frameseal demo again.');
    return;
  }
  let info;
  try {
    info = await getJson('/api/cameras');
  } catch (e) {
    fatal(`The relay did not list its cameras (${e.message}). This page is served by ` +
      '`frameseal demo`; the standalone demo works without a server.');
    return;
  }
  const names = await namesByKeyId(info.cameras);
  let feeds;
  try {
    feeds = info.cameras.map((cam) => new Feed(cam, info.picture, names));
  } catch (e) {
    fatal(`Linking the cameras failed: ${e?.message ?? e}`);
    return;
  }
  $('wall').replaceChildren(...feeds.map((f) => f.node));
  const rows = buildReasonRows();
  const faults = new FaultPanel();
  await faults.refresh();
  setInterval(() => faults.refresh(), FAULT_POLL_MS);
  setInterval(() => {
    const now = performance.now();
    renderTotals(feeds.map((f) => f.render(now)), rows);
  }, RENDER_MS);
  $('app').removeAttribute('aria-busy');
}

main();
