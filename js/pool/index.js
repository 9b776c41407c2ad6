// frameseal gate pool (ships as pkg/pool/index.js): FrameGates that verify,
// decode and draw in Web Workers, on OffscreenCanvases, so a dashboard of
// many camera tiles keeps its main thread for the page. Each gate lives in
// one worker for its whole life (its verifier state is there); gates are
// spread over the pool's workers, fewest gates first.
//
//   import { GatePool } from 'frameseal/pool';
//   const pool = new GatePool();                        // one worker per core, up to 4
//   const gate = await pool.open(canvas, linkedPublicKey, { onDrop: (r) => ... });
//   ws.onmessage = (e) => gate.push(new Uint8Array(e.data), { transfer: true });
//
// The main thread only posts each frame (copied, or its buffer transferred
// with { transfer: true }) and hears each result back; verification and
// decoding cost it nothing. Results are FrameGate's, without `payload`.

import { BUILDS } from '../loader.js';

const DEFAULT_MAX_WORKERS = 4;
const KNOWN_POOL_OPTIONS = new Set(['workers', 'workerUrl', 'build']);

// SPEC §4: options, and the workers' messages, are read from their own
// properties only. A property a script put on Object.prototype must not
// choose the worker script (workerUrl), the build, a gate's linked key
// (newPublicKey) or a push's verdict. Captured when this module loads, so
// that replacing Object.prototype.hasOwnProperty later steers nothing.
const hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
const keysOf = Object.keys;
/** `object[key]` if `object` (any value) has that property itself, else undefined. */
const own = (object, key) => (object !== null && object !== undefined && hasOwn(object, key) ? object[key] : undefined);
/** The page's own `name` global (an interface such as Worker), not one inherited from a prototype. */
const platform = (name) => (hasOwn(globalThis, name) ? globalThis[name] : undefined);
/** FrameGate's callback options, and the kind of event the worker posts for each. */
const CALLBACKS = [['onDrop', 'drop'], ['onStall', 'stall'], ['onResume', 'resume'], ['onReport', 'report']];

/** A FrameGate running in one of a GatePool's workers. */
class PooledGate {
  constructor(lane, id, callbacks, forget) {
    this._lane = lane;
    this._id = id;
    this._callbacks = callbacks;
    this._forget = forget;
    this._pending = new Map();
    this._next = 0;
    this._closed = false;
    this.linkedPublicKey = null;
    /** The package build its worker runs: 'modern', 'mvp' or 'js' (the loader's choice). */
    this.build = null;
  }

  /**
   * Verifies `frame` (a Uint8Array) in the worker; resolves to FrameGate's
   * result without `payload`. With `{ transfer: true }` the frame's buffer
   * moves to the worker (no copy; the caller's array becomes empty) when the
   * array spans its whole, non-shared buffer; otherwise the bytes are copied.
   */
  push(frame, options = undefined) {
    const transfer = own(options, 'transfer') ?? false;
    if (this._closed) return Promise.reject(new Error('push: this gate is closed'));
    if (!(frame instanceof Uint8Array)) {
      return Promise.reject(new Error(`push: frame must be a Uint8Array, got ${frame === null ? 'null' : typeof frame}`));
    }
    const Shared = platform('SharedArrayBuffer');
    const whole = Boolean(transfer) && frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength
      && !(typeof Shared === 'function' && frame.buffer instanceof Shared);
    const buffer = whole ? frame.buffer : frame.slice().buffer;
    const n = this._next++;
    return new Promise((resolve, reject) => {
      this._pending.set(n, { resolve, reject });
      this._lane.send({ id: this._id, n, frame: buffer });
    });
  }

  /** FrameGate's counts, from the worker. */
  stats() {
    if (this._closed) return Promise.reject(new Error('stats: this gate is closed'));
    const n = this._next++;
    return new Promise((resolve, reject) => {
      this._pending.set(n, { resolve, reject });
      this._lane.flush(); // after the pushes before it
      this._lane.worker.postMessage({ type: 'stats', id: this._id, n });
    });
  }

  /** Closes the gate in its worker; pending pushes still settle. */
  close() {
    if (this._closed) return;
    this._closed = true;
    this._lane.gates -= 1;
    this._lane.flush(); // the pushes before close still count
    this._lane.worker.postMessage({ type: 'close', id: this._id });
    if (this._pending.size === 0) this._forget(this._id);
  }

  _settle(n, error, value) {
    const p = this._pending.get(n);
    if (!p) return;
    this._pending.delete(n);
    if (error !== undefined) p.reject(new Error(error));
    else p.resolve(value);
    if (this._closed && this._pending.size === 0) this._forget(this._id);
  }

  _event(kind, value) {
    const f = own(this._callbacks, kind);
    if (kind === 'drop' && own(value, 'ok') === false) value.drawn = false;
    if (f) f(value);
  }
}

/** Web Workers that run FrameGates for a page's camera tiles. */
export class GatePool {
  /**
   * `workers`: how many (default: one per core, at most 4); `workerUrl`:
   * where pkg/pool/worker.js is served, if a bundler moved it.
   */
  constructor(options = {}) {
    for (const key of keysOf(options)) {
      if (!KNOWN_POOL_OPTIONS.has(key)) throw new Error(`GatePool: unknown option ${key} (known: workers, workerUrl, build)`);
    }
    const build = own(options, 'build') ?? 'auto';
    if (build !== 'auto' && !BUILDS.includes(build)) {
      throw new Error(`GatePool: build must be 'auto', 'modern', 'mvp' or 'js', got ${JSON.stringify(build)}`);
    }
    const cores = (typeof navigator === 'object' && navigator.hardwareConcurrency) || 2;
    const count = own(options, 'workers') ?? Math.max(1, Math.min(cores, DEFAULT_MAX_WORKERS));
    if (!Number.isInteger(count) || count < 1 || count > 64) {
      throw new Error(`GatePool: workers must be an integer from 1 to 64, got ${count}`);
    }
    const Worker = platform('Worker');
    if (typeof Worker !== 'function' || typeof platform('OffscreenCanvas') !== 'function') {
      throw new Error('GatePool needs Web Workers and OffscreenCanvas, which this browser lacks: use FrameGate');
    }
    // A workerUrl is resolved as `new Worker(url)` would (against the page).
    const workerUrl = own(options, 'workerUrl');
    const url = workerUrl === undefined
      ? new URL('./worker.js', import.meta.url)
      : new URL(workerUrl, typeof document === 'object' ? document.baseURI : self.location.href);
    if (build !== 'auto') url.searchParams.set('build', build);
    this._gates = new Map();
    this._nextId = 0;
    this._lanes = Array.from({ length: count }, () => {
      const lane = { worker: new Worker(url, { type: 'module' }), gates: 0, outbox: [] };
      // The pushes of one task go to the worker as one message.
      lane.flush = () => {
        if (lane.outbox.length === 0) return;
        const items = lane.outbox;
        lane.outbox = [];
        lane.worker.postMessage({ type: 'push', items }, items.map((i) => i.frame));
      };
      lane.send = (item) => {
        if (lane.outbox.length === 0) queueMicrotask(lane.flush);
        lane.outbox.push(item);
      };
      lane.worker.onmessage = ({ data }) => this._receive(data);
      lane.worker.onerror = (e) => this._fail(lane, `worker error: ${e.message ?? 'failed to load'}`);
      return lane;
    });
  }

  /** How many workers the pool runs. */
  get size() {
    return this._lanes.length;
  }

  /**
   * A gate drawing to `canvas` (an HTMLCanvasElement, whose control moves to
   * the worker, or an OffscreenCanvas) the frames `linkedPublicKey` signed.
   * `options` are FrameGate's, except `now` (a function cannot run in a
   * worker); onDrop, onStall, onResume and onReport are called here.
   * Resolves once the worker built the gate; rejects with FrameGate's error
   * for a bad key or option.
   */
  open(canvas, linkedPublicKey, options = {}) {
    if (this._terminated) return Promise.reject(new Error('open: the pool was terminated'));
    if (options === null || typeof options !== 'object') {
      return Promise.reject(new Error('open: options must be an object'));
    }
    if (own(options, 'now') !== undefined) {
      return Promise.reject(new Error('options.now cannot be used with GatePool: the clock runs in the worker'));
    }
    // The callbacks stay here; the other options (own and enumerable: what
    // postMessage copies) go to the worker's FrameGate.
    const callbacks = Object.create(null);
    const rest = { ...options };
    for (const [name, kind] of CALLBACKS) {
      const f = own(options, name);
      if (f !== undefined && typeof f !== 'function') {
        return Promise.reject(new Error(`options.${name} must be a function`));
      }
      callbacks[kind] = f;
      delete rest[name];
    }
    const HTMLCanvas = platform('HTMLCanvasElement');
    const Offscreen = platform('OffscreenCanvas');
    let offscreen = canvas;
    if (typeof HTMLCanvas === 'function' && canvas instanceof HTMLCanvas) {
      offscreen = canvas.transferControlToOffscreen();
    } else if (!(typeof Offscreen === 'function' && canvas instanceof Offscreen)) {
      return Promise.reject(new Error('open: canvas must be an HTMLCanvasElement or an OffscreenCanvas'));
    }
    const lane = this._lanes.reduce((a, b) => (b.gates < a.gates ? b : a));
    const id = this._nextId++;
    const gate = new PooledGate(lane, id, callbacks, (gone) => this._gates.delete(gone));
    lane.gates += 1;
    return new Promise((resolve, reject) => {
      this._gates.set(id, { gate, opening: { resolve, reject } });
      const events = {};
      for (const [, kind] of CALLBACKS) events[kind] = typeof callbacks[kind] === 'function';
      lane.worker.postMessage({ type: 'open', id, canvas: offscreen, linkedPublicKey, options: rest, events }, [offscreen]);
    });
  }

  /** Stops every worker; their gates' pending pushes reject. */
  terminate() {
    this._terminated = true;
    for (const lane of this._lanes) {
      lane.worker.terminate();
      this._fail(lane, 'the pool was terminated');
    }
  }

  // Messages from the workers: copies made in this realm, so a field the
  // worker did not set would be looked up on this page's Object.prototype.
  // Every field is read with own().
  _receive(data) {
    const type = own(data, 'type');
    if (type === 'pushed') {
      for (const item of own(data, 'items') ?? []) {
        const gate = this._gates.get(own(item, 'id'))?.gate;
        if (!gate) continue;
        const result = own(item, 'result');
        const newKey = own(result, 'newPublicKey');
        if (newKey) gate.linkedPublicKey = newKey;
        gate._settle(own(item, 'n'), own(item, 'error'), result);
      }
      return;
    }
    const id = own(data, 'id');
    const entry = this._gates.get(id);
    if (!entry) return;
    const { gate } = entry;
    switch (type) {
      case 'opened':
        gate.linkedPublicKey = own(data, 'linkedPublicKey');
        gate.build = own(data, 'build');
        entry.opening?.resolve(gate);
        entry.opening = null;
        break;
      case 'failed':
        gate._closed = true;
        gate._lane.gates -= 1;
        this._gates.delete(id);
        entry.opening?.reject(new Error(own(data, 'message')));
        break;

      case 'stats': {
        const stats = own(data, 'stats');
        gate._settle(own(data, 'n'), stats ? undefined : 'this gate is closed', stats);
        break;
      }
      case 'event':
        try {
          gate._event(own(data, 'kind'), own(data, 'value'));
        } catch (e) {
          setTimeout(() => { throw e; }); // the page's callback threw: report it, keep going
        }
        break;
      default:
        break;
    }
  }

  _fail(lane, message) {
    for (const [id, { gate, opening }] of this._gates) {
      if (gate._lane !== lane) continue;
      opening?.reject(new Error(message));
      for (const n of [...gate._pending.keys()]) gate._settle(n, message);
      gate._closed = true;
      this._gates.delete(id);
    }
  }
}

