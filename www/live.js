// The relay demo's live H.264 tiles: real video encoded by ffmpeg (x264),
// sealed in-band by the demo's cameras (SPEC §6.3), played the way camera
// dashboards play it, through Media Source Extensions:
// - MSE over WebSocket, go2rtc-style: /ws/live/{camera} sends the codec
//   string, the init segment and one moof+mdat per frame; one connection
//   feeds both players: an MseGate (SPEC §7) on one <video>, and beside it a
//   naive player (a MediaSource and a SourceBuffer that append everything,
//   as go2rtc's own player does);
// - LL-HLS with hls.js: /hls/{camera}/live.m3u8 (parts of 5 frames); one
//   hls.js instance with frameseal/hls in front of its fragment loader, and
//   a plain hls.js instance beside it.
// The relay's faults (POST /api/faults) reach both: mix-up (the other
// home's fragments, or its segments on LL-HLS), replay, loss, reordering,
// tampered samples, old parts; the switches are in this section.
//
// For tests, each tile keeps its figures in data attributes: data-state,
// data-injected (the relay's counts for this connection, JSON),
// data-stats (the gate's stats(), JSON), data-gate-errors, and each
// <video> gets data-frameseal-live from its gate.
import init, { MseGate, fingerprint } from '../pkg/frameseal.js';
import { $, FaultSwitches, el, setLivePill } from './shared.js';

const STALL_AFTER_MS = 2000;
/**
 * LL-HLS plays about 1.5–3 s behind the camera (the part hold-back, a part's
 * length, the reload interval), so its pictures are older when shown.
 */
const HLS_STALL_AFTER_MS = 5000;
const RENDER_MS = 250;
const FAULT_POLL_MS = 2000;
/** The naive player jumps to the live edge when it is this far behind (s), as go2rtc's player does. */
const NAIVE_MAX_LAG_S = 1.5;
/** Played media the naive MSE player keeps behind currentTime (s). */
const NAIVE_KEEP_S = 10;

const SWITCHES = [
  { fault: 'mixup', title: 'Cache mix-up', desc: 'the other home\u2019s fragments (WebSocket) or segments (LL-HLS)' },
  { fault: 'replay', title: 'Replay', desc: 'sends fragments the viewer already had again' },
  { fault: 'loss', title: 'Loss', desc: 'drops fragments' },
  { fault: 'reordering', title: 'Reordering', desc: 'sends some fragments after the next' },
  { fault: 'tamper', title: 'Tampered sample', desc: 'flips a byte inside a slice of the picture' },
  { fault: 'oldparts', title: 'Old parts', desc: 'LL-HLS: serves parts from earlier in place of new ones' },
  { fault: 'blackhole', title: 'Blackhole', desc: 'WebSocket: sends nothing (the gated player goes not live)' },
];

function hexToBytes(hex) {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function videoElement(className, label) {
  const v = el('video', className);
  v.muted = true;
  v.autoplay = true;
  v.playsInline = true;
  v.setAttribute('aria-label', label);
  return v;
}

function play(video) {
  video.play()?.catch(() => {}); // muted autoplay; a refusal shows as a still player
}

/** Two screens side by side: the gated one and the naive one. */
function screens(node, gateLabel, rawLabel) {
  const gate = videoElement('live-gate-video', gateLabel);
  const raw = videoElement('live-raw-video', rawLabel);
  const side = (cls, title, video, pill) => {
    const head = el('div', 'tile-head');
    const mark = el('span', cls === 'protected' ? 'shield' : 'warn');
    mark.setAttribute('aria-hidden', 'true');
    head.append(mark, el('span', 'tile-title', title), pill);
    const screen = el('div', 'screen live-screen');
    screen.append(video);
    const box = el('div', `tile tile-${cls}`);
    box.append(head, screen);
    return box;
  };
  const live = el('span', 'pill pill-wait live-pill', 'starting');
  const body = el('div', 'live-screens');
  body.append(
    side('protected', 'With frameseal', gate, live),
    side('unprotected', 'Naive player', raw, el('span', 'pill pill-bad', 'no checks')),
  );
  node.querySelector('.live-body').append(body);
  return { gate, raw, live };
}

/** A plain MediaSource player that appends whatever it is given, in order (go2rtc's player). */
class NaiveMse {
  constructor(video) {
    this.video = video;
    this.queue = [];
    this.buffer = null;
    this.source = new MediaSource();
    this.errors = 0;
    video.src = URL.createObjectURL(this.source);
  }

  /** The SourceBuffer, once the codec is known (go2rtc's {"type": "mse"} message). */
  open(mime) {
    const create = () => {
      try {
        this.buffer = this.source.addSourceBuffer(mime);
        this.buffer.addEventListener('updateend', () => this.pump());
        this.pump();
      } catch {
        this.errors += 1;
      }
    };
    if (this.source.readyState === 'open') create();
    else this.source.addEventListener('sourceopen', create, { once: true });
  }

  append(bytes) {
    this.queue.push(bytes);
    this.pump();
  }

  pump() {
    const b = this.buffer;
    if (!b || b.updating || this.source.readyState !== 'open') return;
    const { video } = this;
    const ranges = b.buffered;
    if (ranges.length > 0) {
      const end = ranges.end(ranges.length - 1);
      const start = ranges.start(0);
      if (end - video.currentTime > NAIVE_MAX_LAG_S) video.currentTime = end - 0.3;
      if (video.currentTime - start > NAIVE_KEEP_S * 2) {
        b.remove(start, video.currentTime - NAIVE_KEEP_S);
        return;
      }
    }
    const next = this.queue.shift();
    if (!next) return;
    try {
      b.appendBuffer(next);
      play(video);
    } catch {
      // A decode error closes the MediaSource: the naive player stops, as go2rtc's would.
      this.errors += 1;
    }
  }
}

/** The MSE-over-WebSocket tile of one live camera. */
class MseTile {
  constructor(node, cam) {
    this.node = node;
    this.cam = cam;
    this.key = hexToBytes(cam.publicKey);
    const s = screens(node, `${cam.name}: MseGate, only samples the linked key signed`,
      `${cam.name}: a naive MSE player of the same WebSocket`);
    this.gateVideo = s.gate;
    this.rawVideo = s.raw;
    this.live = s.live;
    this.gateErrors = 0;
    this.appended = 0;
    this.injected = null;
    this.messages = 0;
  }

  start() {
    this.gate = new MseGate(this.gateVideo, this.key, {
      stallAfterMs: STALL_AFTER_MS,
      onStall: () => setLivePill(this.live, 'live-pill', 'not live'),
      onResume: () => setLivePill(this.live, 'live-pill', 'live'),
    });
    this.naive = new NaiveMse(this.rawVideo);
    this.connect();
  }

  connect() {
    const ws = new WebSocket(`ws://${location.host}/ws/live/${encodeURIComponent(this.cam.id)}`);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = () => {
      this.node.dataset.state = this.node.dataset.state === 'failed' ? 'failed' : 'reconnecting';
    };
    this.ws = ws;
  }

  receive(data) {
    if (typeof data === 'string') {
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      if (message.type === 'mse') {
        this.naive.open(message.value);
        this.node.dataset.state = 'running';
      } else if (message.type === 'injected') {
        this.injected = message.counts;
      } else if (message.type === 'error') {
        this.fail(message.value);
      }
      return;
    }
    this.messages += 1;
    const bytes = new Uint8Array(data);
    this.naive.append(bytes);
    let appended;
    try {
      appended = this.gate.append(bytes.slice());
    } catch {
      this.gateErrors += 1;
      return;
    }
    appended.then((r) => {
      this.appended += r.appended;
      if (r.appended > 0) play(this.gateVideo);
    }, () => { this.gateErrors += 1; });
  }

  fail(message) {
    this.node.dataset.state = 'failed';
    const note = this.node.querySelector('.live-note');
    note.textContent = message;
    note.hidden = false;
  }

  render() {
    if (!this.gate) return;
    const stats = this.gate.stats();
    const d = this.node.dataset;
    d.stats = JSON.stringify(stats);
    d.injected = JSON.stringify(this.injected ?? {});
    d.gateErrors = String(this.gateErrors);
    d.appended = String(this.appended);
    d.messages = String(this.messages);
    d.naiveErrors = String(this.naive.errors);
    const dropped = Object.entries(stats.dropped ?? {}).filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`).join(' · ');
    this.node.querySelector('.live-counts').textContent =
      `verified ${stats.accepted} · shown ${stats.drawn ?? 0} · skipped until keyframe ${stats.skippedUntilKeyframe}` +
      (dropped ? ` · dropped: ${dropped}` : '');
  }
}

/** The LL-HLS tile: a frameseal/hls hls.js and a plain one, same playlist. */
class HlsTile {
  constructor(node, cam) {
    this.node = node;
    this.cam = cam;
    this.key = hexToBytes(cam.publicKey);
    const s = screens(node, `${cam.name}: hls.js with frameseal/hls`, `${cam.name}: plain hls.js, same playlist`);
    this.gateVideo = s.gate;
    this.rawVideo = s.raw;
    this.live = s.live;
    this.errors = [];
  }

  async start() {
    let Hls;
    let attachFrameseal;
    try {
      ({ default: Hls } = await import('/vendor/hls.mjs'));
    } catch (e) {
      this.fail(`hls.js did not load (${e.message}): npm install in the repository`);
      return;
    }
    try {
      ({ attachFrameseal } = await import('../pkg/hls/index.js'));
    } catch (e) {
      this.fail(`frameseal/hls is not in pkg/ (${e.message}): build the package (./build.sh build)`);
      return;
    }
    // The server has a playlist once the camera has made a whole segment.
    for (let waited = 0; ; waited += 500) {
      const info = await fetch('/api/live').then((r) => r.json()).catch(() => null);
      if (info?.cameras?.find((c) => c.id === this.cam.id)?.hls?.ready) break;
      if (waited > 60_000) {
        this.fail('the live camera made no LL-HLS segment within a minute');
        return;
      }
      await new Promise((resolve) => { setTimeout(resolve, 500); });
    }
    const url = `/hls/${encodeURIComponent(this.cam.id)}/live.m3u8`;
    // No workers: the page's Content-Security-Policy allows no blob: scripts.
    // A 10 s back buffer: hls.js's default keeps every played segment, and
    // a tile left open for hours grows without end (bench/SOAK.md).
    const config = { lowLatencyMode: true, enableWorker: false, liveSyncDurationCount: 1, backBufferLength: 10 };
    this.gated = new Hls(config);
    this.seal = attachFrameseal(this.gated, this.key, {
      stallAfterMs: HLS_STALL_AFTER_MS,
      onStall: () => setLivePill(this.live, 'live-pill', 'not live'),
      onResume: () => setLivePill(this.live, 'live-pill', 'live'),
    });
    this.naive = new Hls(config);
    for (const [hls, video, name] of [[this.gated, this.gateVideo, 'gated'], [this.naive, this.rawVideo, 'naive']]) {
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        if (data.details === Hls.ErrorDetails.MANIFEST_LOAD_ERROR) {
          // The camera has no segment yet (the server answers 404 until it has).
          setTimeout(() => hls.loadSource(url), 1000);
          return;
        }
        this.errors.push(`${name}: ${data.details}${data.error?.message ? ` (${data.error.message})` : ''}`);
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else hls.startLoad();
      });
      hls.loadSource(url);
      hls.attachMedia(video);
      video.addEventListener('canplay', () => play(video));
    }
    this.node.dataset.state = 'running';
  }

  fail(message) {
    this.node.dataset.state = 'failed';
    const note = this.node.querySelector('.live-note');
    note.textContent = message;
    note.hidden = false;
  }

  render() {
    if (!this.seal) return;
    const stats = this.seal.stats();
    this.node.dataset.stats = JSON.stringify(stats);
    this.node.dataset.errors = JSON.stringify(this.errors);
    const dropped = Object.entries(stats.dropped ?? {}).filter(([, n]) => n > 0)
      .map(([reason, n]) => `${reason} ${n}`).join(' · ');
    this.node.querySelector('.live-counts').textContent =
      `verified ${stats.accepted} · skipped until keyframe ${stats.skippedUntilKeyframe}` +
      (dropped ? ` · dropped: ${dropped}` : '');
  }
}

/** The section's cards: the switches, then one card per tile. */
function buildSection(section, info, home) {
  const head = el('article', 'card live-faults');
  const h = el('header', 'card-head');
  h.append(el('h2', '', 'Live H.264 cameras \u00b7 MSE and LL-HLS'),
    el('span', 'pill pill-muted', `ffmpeg x264 \u00b7 ${info.width}\u00d7${info.height} \u00b7 ${info.fps} fps`));
  const note = el('p', 'card-note', 'Real H.264 from ffmpeg, every access unit sealed in-band by the camera (an SEI '
    + 'before its first slice), carried as fragmented MP4 the way dashboards get it. The relay\u2019s faults for these '
    + 'streams (also POST /api/faults):');
  const list = el('ul', 'toggles toggles-3 live-toggles');
  list.setAttribute('aria-label', 'Live stream faults');
  head.append(h, note, list);
  const tiles = [
    ['mse', 'MSE over WebSocket, go2rtc-style', 'one fragment per frame on /ws/live/' + home.id],
    ['hls', 'LL-HLS with hls.js', 'parts of 5 frames on /hls/' + home.id + '/live.m3u8'],
  ].map(([kind, title, sub]) => {
    const card = el('article', 'card live-tile');
    card.id = `live-${kind}`;
    card.dataset.kind = kind;
    card.dataset.state = 'starting';
    const ch = el('header', 'card-head');
    const rec = el('span', 'rec');
    rec.setAttribute('aria-hidden', 'true');
    ch.append(rec, el('h2', '', `${home.name} \u00b7 ${title}`), el('span', 'card-sub', sub));
    const key = el('p', 'video-key');
    key.append('Linked to ', el('span', 'mono live-fp', '\u2026'));
    const warn = el('p', 'video-note live-note');
    warn.setAttribute('role', 'status');
    warn.hidden = true;
    card.append(ch, key, warn, el('div', 'live-body'), el('p', 'caption live-counts', ''));
    return card;
  });
  section.replaceChildren(head, ...tiles);
  return list;
}

async function main() {
  const section = $('live-wall');
  if (!section) return;
  try {
    await init();
  } catch {
    return; // demo.js says the package did not load
  }
  let info;
  try {
    info = await (await fetch('/api/live')).json();
  } catch {
    return;
  }
  const [home] = info.cameras;
  const list = buildSection(section, info, home);
  const tiles = [];
  for (const node of section.querySelectorAll('.live-tile')) {
    node.dataset.plainPoints = JSON.stringify(info.plainPoints);
    node.dataset.linkedColour = home.colour;
    node.dataset.otherColour = info.cameras[1]?.colour ?? '';
    node.querySelector('.live-fp').textContent = fingerprint(hexToBytes(home.publicKey));
    if (home.problem) {
      const note = node.querySelector('.live-note');
      note.textContent = `The live camera does not stream: ${home.problem}`;
      note.hidden = false;
      node.dataset.state = 'unavailable';
      continue;
    }
    const tile = node.dataset.kind === 'hls' ? new HlsTile(node, home) : new MseTile(node, home);
    tiles.push(tile);
    tile.start();
  }
  const switches = new FaultSwitches(list, SWITCHES, 'liveFault');
  await switches.refresh();
  setInterval(() => switches.refresh(), FAULT_POLL_MS);
  setInterval(() => { for (const t of tiles) t.render(); }, RENDER_MS);
  window.__frameseal_live = { tiles };
}

main();
