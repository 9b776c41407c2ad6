// What the two demo pages share: the relay demo (index.html: demo.js and
// video-camera.js) and the standalone demo (standalone.html: standalone.js).
//
// The format's names and numbers come from the package: drop reasons and
// their meanings from dropReasons(), the header's length from frameLayout().
// Both need the package initialised: call what uses them after start().
import { dropReasons, frameLayout } from '../pkg/frameseal.js';

export const $ = (id) => document.getElementById(id);
export const fmt = (n) => n.toLocaleString('en-US');

/** A new `tag` element with `className` and, if given, `text`. */
export function el(tag, className, text = undefined) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Says why the demo cannot run, in a box above the page, and greys the page out. */
export function fatal(message) {
  const box = el('div', 'fatal');
  box.setAttribute('role', 'alert');
  box.append(el('strong', '', 'The demo could not start.'), message);
  $('app').before(box);
  $('app').classList.add('failed');
}

/**
 * Initialises the package with `init`; resolves to false, after saying so
 * in the fatal box with `hint` (how to get it built and served), if it did
 * not load.
 */
export async function start(init, hint) {
  try {
    await init();
    return true;
  } catch (e) {
    fatal(`The frameseal WebAssembly module failed to load (${e?.message ?? e}). ${hint}`);
    return false;
  }
}

/** A canvas to draw a camera's picture on, never shown. */
export function makeCanvas(w, h) {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(w, h);
  const c = document.createElement('canvas'); // never attached: still offscreen
  c.width = w;
  c.height = h;
  return c;
}

/**
 * One fault switch: a checkbox (its `dataset[key]` names the fault) in a
 * label with the switch's title and description, in a list item.
 */
function switchItem({ fault, title, desc }, key) {
  const input = el('input');
  input.type = 'checkbox';
  input.dataset[key] = fault;
  const track = el('span', 'track');
  track.setAttribute('aria-hidden', 'true');
  const text = el('span', 'switch-text');
  text.append(el('span', 'switch-title', title), el('span', 'switch-desc', desc));
  const label = el('label', 'switch');
  label.append(input, track, text);
  const li = el('li');
  li.append(label);
  return { li, input };
}

/** Fills the fault switch list `list` from `switches`: [{ fault, title, desc }]. */
function buildSwitches(list, switches) {
  const items = switches.map((s) => switchItem(s, 'fault'));
  list.replaceChildren(...items.map(({ li }) => li));
  return items.map(({ input }) => input);
}

/**
 * A section's own fault switches (the relay's, shared with the other
 * tiles), appended to `list` from `switches` ([{ fault, title, desc }],
 * each input's `dataset[key]` naming its fault) and kept in step with the
 * server: a change is posted to /api/faults, `refresh()` reads it back.
 */
export class FaultSwitches {
  constructor(list, switches, key) {
    this.key = key;
    this.inputs = switches.map((s) => {
      const { li, input } = switchItem(s, key);
      list.append(li);
      input.addEventListener('change', () => this.set({ [s.fault]: input.checked }));
      return input;
    });
  }

  async set(change) {
    const response = await fetch('/api/faults', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(change),
    });
    if (response.ok) this.show(await response.json());
  }

  async refresh() {
    try {
      const response = await fetch('/api/faults');
      if (response.ok) this.show(await response.json());
    } catch {
      // the relay is away; the section's own cards say so
    }
  }

  show(state) {
    for (const input of this.inputs) input.checked = Boolean(state[input.dataset[this.key]]);
  }
}

/**
 * One display's two screens side by side (the relay demo's cameras and its
 * video camera): the protected tile, what the gate drew, and the
 * unprotected one, whatever arrived. Each side gives its `title` (text or
 * nodes), the classes the page finds its `canvas` and `caption` by, the
 * caption's text until something arrives (`waiting`) and, if known now,
 * the canvas's aria-`label`; the protected side a `pill` for its head, if
 * any; the unprotected side the classes of its `flag` (the overlay naming
 * whose picture it drew). Returns the two tiles.
 */
export function displayTiles(protectedSide, unprotectedSide) {
  const tile = (side, icon, { title, pill, canvas, label, caption, waiting }, overlay) => {
    const mark = el('span', icon);
    mark.setAttribute('aria-hidden', 'true');
    const name = el('span', 'tile-title');
    name.append(...[title].flat());
    const head = el('div', 'tile-head');
    head.append(mark, name, ...(pill ? [pill] : []));
    const picture = el('canvas', canvas);
    if (label) picture.setAttribute('aria-label', label);
    const screen = el('div', 'screen');
    screen.append(picture, ...overlay);
    const box = el('div', `tile tile-${side}`);
    box.append(head, screen, el('p', `caption ${caption}`, waiting));
    return box;
  };
  const flag = el('div', unprotectedSide.flag);
  flag.hidden = true;
  const noChecks = el('span', 'pill pill-bad', 'no checks');
  return [
    tile('protected', 'shield', protectedSide, []),
    tile('unprotected', 'warn', { ...unprotectedSide, pill: noChecks }, [flag]),
  ];
}

/**
 * Fills the relay card `card` (which holds its own note) around that note:
 * its head, with the pill that counts the faults on (#relay-state), then
 * the fault switches (#toggles, with `listClass`) from `switches` and the
 * line for what the relay says (#relay-note). Returns the switches' inputs
 * (see buildSwitches).
 */
export function buildRelayCard(card, switches, listClass = 'toggles') {
  const icon = el('span', 'relay-icon');
  icon.setAttribute('aria-hidden', 'true');
  const pill = el('span', 'pill pill-muted', 'healthy');
  pill.id = 'relay-state';
  const head = el('header', 'card-head');
  head.append(icon, el('h2', '', 'Relay'), pill);
  const list = el('ul', listClass);
  list.id = 'toggles';
  list.setAttribute('aria-label', 'Relay faults');
  const note = el('p', 'card-note relay-note');
  note.id = 'relay-note';
  note.setAttribute('aria-live', 'polite');
  card.prepend(head);
  card.append(list, note);
  return buildSwitches(list, switches);
}

/** The relay's pill: how many faults are on. */
export function showFaultCount(on) {
  const pill = $('relay-state');
  pill.textContent = on ? `${on} fault${on > 1 ? 's' : ''} on` : 'healthy';
  pill.className = `pill ${on ? 'pill-warn' : 'pill-muted'}`;
}

// ---------------------------------------------------------------- frames, unchecked

const KEYFRAME_FLAG = 0x01;

const view = (frame) => new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
let layout = null;
/** frameLayout(), asked of the package once. */
const wire = () => (layout ??= frameLayout());
const headerLength = () => wire().headerLength;
/** Where the header keeps a field (its start offset), from the package. */
const at = (field) => wire().fields[field][0];
let reasons = null;
/** dropReasons(), asked of the package once. */
const reasonList = () => (reasons ??= dropReasons());

/**
 * A frame's header fields read without any check, as a player without
 * frameseal does: what the unprotected screens show. A frame shorter than
 * a header has an empty payload and a null seq; the other fields are for
 * frames at least that long.
 */
export const unchecked = {
  payload(frame) {
    const start = headerLength();
    if (frame.byteLength < start) return new Uint8Array(0);
    return frame.subarray(start, start + view(frame).getUint32(at('length')));
  },
  keyframe: (frame) => frame.byteLength > at('flags') && (frame[at('flags')] & KEYFRAME_FLAG) !== 0,
  keyId: (frame) => frame.subarray(...wire().fields.keyId),
  streamId: (frame) => frame.subarray(...wire().fields.streamId),
  seq: (frame) => (frame.byteLength < headerLength() ? null : Number(view(frame).getBigUint64(at('seq')))),
  timestampUs: (frame) => Number(view(frame).getBigUint64(at('timestampUs'))),
};

/**
 * A copy of `frame` with one bit after the header (payload or signature)
 * flipped, as the server relay's corruption fault does (demo/src/faults.rs).
 */
export function corrupt(frame) {
  const copy = frame.slice();
  const start = Math.min(headerLength(), copy.byteLength);
  if (copy.byteLength > start) {
    const at = start + Math.floor(Math.random() * (copy.byteLength - start));
    copy[at] ^= 1 << Math.floor(Math.random() * 8);
  }
  return copy;
}

/**
 * The recent frames an in-page relay keeps, for its cache faults (mix-up,
 * replay, stale): up to `maxCount` frames, none older than `maxAgeMs`.
 */
export class FrameCache {
  constructor({ maxAgeMs, maxCount = Infinity }) {
    this.maxAgeMs = maxAgeMs;
    this.maxCount = maxCount;
    this.entries = []; // { at, frame }, oldest first
  }

  add(frame, at) {
    this.entries.push({ at, frame });
    while (this.entries.length > this.maxCount || at - this.entries[0].at > this.maxAgeMs) this.entries.shift();
  }

  /** A random frame from `minAgeMs` to `maxAgeMs` old at `at` (not `except`), or null. */
  pick(at, minAgeMs, maxAgeMs, except = null) {
    const fit = this.entries.filter((e) => at - e.at >= minAgeMs && at - e.at <= maxAgeMs && e.frame !== except);
    return fit.length ? fit[Math.floor(Math.random() * fit.length)].frame : null;
  }

  /** How old the oldest frame is at `at` (0 when empty). */
  oldestAge(at) {
    return this.entries.length ? at - this.entries[0].at : 0;
  }
}

// ---------------------------------------------------------------- screens

/** Draws still pictures (JPEG, PNG, WebP bytes) on a canvas, strictly in the order they come. */
export class StillScreen {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.chain = Promise.resolve();
  }

  /** Decodes and draws `picture`; resolves to whether it was drawn. */
  show(picture) {
    const blob = new Blob([picture], { type: 'image/jpeg' });
    const drawn = this.chain.then(async () => {
      let bitmap;
      try {
        bitmap = await createImageBitmap(blob);
      } catch {
        return false; // undecodable bytes: nothing drawn
      }
      this.ctx.drawImage(bitmap, 0, 0, this.canvas.width, this.canvas.height);
      bitmap.close();
      return true;
    });
    this.chain = drawn;
    return drawn;
  }
}

const FLAG_MS = 900;
const FLAG_TEXT = {
  stale: 'Frame from 10+ s ago',
  'wrong-stream': 'Another session\u2019s frame',
  replayed: 'Repeated frame',
  'bad-signature': 'Damaged frame',
  malformed: 'Damaged frame',
};

/** What a person would call a frame dropped for `reason`: 'foreign', 'old' or 'damaged'. */
function naiveKind(reason) {
  if (reason === 'foreign-key') return 'foreign';
  if (reason === 'stale' || reason === 'replayed' || reason === 'wrong-stream') return 'old';
  return 'damaged';
}

/**
 * What an unprotected screen drew that frameseal dropped, by kind (a
 * stranger's, old, damaged), and the flag over that screen naming the
 * picture on it.
 */
export class NaiveTally {
  /** `flag`: the screen's flag element; `stranger`: its text over a stranger's picture. */
  constructor(flag, stranger) {
    this.flag = flag;
    this.stranger = stranger;
    this.drawn = 0;
    this.bad = { foreign: 0, old: 0, damaged: 0 };
    this.flagUntil = 0;
  }

  /** The screen drew a frame whose verdict was `r`; `stranger` names a foreign-key frame's camera. */
  drew(r, stranger = this.stranger) {
    this.drawn += 1;
    if (r.ok) {
      this.flag.hidden = true; // the flag names what is on screen, nothing older
      return;
    }
    const kind = naiveKind(r.reason);
    this.bad[kind] += 1;
    this.flag.textContent = kind === 'foreign' ? stranger : FLAG_TEXT[r.reason] ?? 'Unverified frame';
    for (const c of [...this.flag.classList]) if (c.startsWith('flag-')) this.flag.classList.remove(c);
    this.flag.classList.add(`flag-${r.reason}`);
    this.flag.hidden = false;
    this.flagUntil = performance.now() + FLAG_MS;
  }

  /**
   * The caption under the screen: `lead`, the bad frames among them (each
   * kind named by `names`), then `end`. Hides the flag once it is old.
   */
  render(node, now, lead, names, end = '.') {
    const bad = ['foreign', 'old', 'damaged']
      .filter((kind) => this.bad[kind])
      .map((kind) => `${fmt(this.bad[kind])} ${names[kind]}`);
    if (bad.length) node.replaceChildren(lead, ', including ', el('strong', '', bad.join(', ')), end);
    else node.replaceChildren(lead, end);
    if (now > this.flagUntil) this.flag.hidden = true;
  }
}

/** Sets a liveness pill (`cls`: its own classes) to 'live', 'not live' or a waiting state. */
export function setLivePill(pill, cls, state) {
  pill.textContent = state;
  const mark = state === 'live' ? 'pill-live' : state === 'not live' ? 'pill-bad' : 'pill-wait';
  pill.className = ['pill', cls, mark].filter(Boolean).join(' ');
}

// ---------------------------------------------------------------- counters

/** One chip per drop reason with a count, after one for the accepted frames. */
export function dropChips(stats) {
  const chips = [el('li', 'drop drop-ok', `accepted ${fmt(stats.accepted)}`)];
  for (const { reason } of reasonList()) {
    const n = stats.dropped[reason] ?? 0;
    if (!n) continue;
    const chip = el('li', 'drop', `${reason} ${fmt(n)}`);
    Object.assign(chip.dataset, { reason, count: String(n) });
    chips.push(chip);
  }
  return chips;
}

/**
 * The page's counters, in `holder`: accepted and dropped totals, and a row
 * per drop reason with what it means (dropReasons(): names, meanings,
 * check order). `first`: the reasons this page always shows, in its order;
 * the others follow in check order, each shown from its first drop.
 */
export class ReasonTable {
  constructor(holder, first) {
    const total = (kind, label, id) => {
      const num = el('span', 'total-num', '0');
      num.id = id;
      const div = el('div', `total total-${kind}`);
      div.append(el('span', 'total-label', label), num);
      return [div, num];
    };
    const [accepted, acceptedNum] = total('ok', 'Accepted', 'c-accepted');
    const [dropped, droppedNum] = total('drop', 'Dropped', 'c-dropped');
    this.totals = { accepted: acceptedNum, dropped: droppedNum };
    const totals = el('div', 'totals');
    totals.append(accepted, dropped);
    const list = el('ul', 'reasons');
    list.id = 'reasons';
    holder.replaceChildren(totals, list);
    const all = reasonList();
    const named = (reason) => {
      const found = all.find((r) => r.reason === reason);
      if (!found) throw new Error(`the package has no drop reason ${reason}`);
      return found;
    };
    const order = [...first.map(named), ...all.filter((r) => !first.includes(r.reason))];
    this.rows = new Map();
    list.replaceChildren(...order.map(({ reason, meaning }) => {
      const li = el('li', 'reason');
      li.hidden = !first.includes(reason);
      Object.assign(li.dataset, { reason, count: '0' });
      const num = el('span', 'reason-num', '0');
      li.append(el('span', 'reason-name mono', reason), el('span', 'reason-desc', meaning), num);
      this.rows.set(reason, { li, num, last: 0 });
      return li;
    }));
  }

  /** Shows the sum of `all` (stats objects: { accepted, dropped: { [reason]: n } }). */
  render(all) {
    let accepted = 0;
    let dropped = 0;
    for (const s of all) accepted += s.accepted;
    for (const [reason, row] of this.rows) {
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
    this.totals.accepted.textContent = fmt(accepted);
    this.totals.dropped.textContent = fmt(dropped);
  }
}
