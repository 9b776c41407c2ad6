// frameseal gate worker (ships as pkg/pool/worker.js): runs FrameGates off
// the main thread, each drawing on an OffscreenCanvas the page transferred.
// Started and spoken to by GatePool (pkg/pool/index.js); not an API of its own.
//
// Messages from the page (every one carries the gate's `id`):
//   { type: 'open', id, canvas, linkedPublicKey, options, events }
//       -> { type: 'opened', id, linkedPublicKey } | { type: 'failed', id, message }
//   { type: 'push', items: [{ id, n, frame: ArrayBuffer }, ...] }
//       -> { type: 'pushed', items: [{ id, n, result } | { id, n, error }, ...] }
//       (the page sends the pushes of one task together; results go back
//       together, at most one message per worker task turn)
//   { type: 'stats', id, n }                    -> { type: 'stats', id, n, stats }
//   { type: 'close', id }
// and, when `events` asks for them, { type: 'event', id, kind, value } for
// onDrop / onStall / onResume / onReport.
//
// The worker loads the package through the loader (pkg/loader.js), so an
// older engine gets the WebAssembly 1.0 build here too; the pool names a
// forced build as `?build=` on the worker's URL ('auto' without it).

import { load, loadedBuild } from '../loader.js';

// The page's messages are read from their own properties only (SPEC §4),
// as everywhere in the package.
const hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
const own = (object, key) => (object !== null && object !== undefined && hasOwn(object, key) ? object[key] : undefined);

let FrameGate;
const loaded = load({ build: new URL(self.location.href).searchParams.get('build') ?? 'auto' })
  .then((module) => { FrameGate = module.FrameGate; });
const gates = new Map();
const post = (message) => self.postMessage(message);
const messageOf = (e) => (e && typeof e.message === 'string' ? e.message : String(e));

function open(data) {
  const id = own(data, 'id');
  const events = own(data, 'events');
  const opts = { ...own(data, 'options') };
  const on = (kind) => (value) => post({ type: 'event', id, kind, value });
  if (own(events, 'drop') === true) opts.onDrop = on('drop');
  if (own(events, 'stall') === true) opts.onStall = on('stall');
  if (own(events, 'resume') === true) opts.onResume = on('resume');
  if (own(events, 'report') === true) opts.onReport = on('report');
  const gate = new FrameGate(own(data, 'canvas'), own(data, 'linkedPublicKey'), opts);
  gates.set(id, gate);
  post({ type: 'opened', id, linkedPublicKey: gate.linkedPublicKey, build: loadedBuild });
}

// Results wait here until the next macrotask, so a burst of pushes costs
// the page one message back, not one per frame.
let outbox = [];
function send(item) {
  if (outbox.length === 0) setTimeout(flush, 0);
  outbox.push(item);
}
function flush() {
  const items = outbox;
  outbox = [];
  post({ type: 'pushed', items });
}

async function push(item) {
  const id = own(item, 'id');
  const n = own(item, 'n');
  const gate = gates.get(id);
  if (!gate) {
    send({ id, n, error: 'this gate is closed' });
    return;
  }
  try {
    const result = await gate.push(new Uint8Array(own(item, 'frame')));
    // The payload stays here (the page transferred or copied the frame);
    // everything else of the result goes back.
    delete result.payload;
    send({ id, n, result });
  } catch (e) {
    send({ id, n, error: messageOf(e) });
  }
}

self.onmessage = async ({ data }) => {
  const type = own(data, 'type');
  const id = own(data, 'id');
  const items = own(data, 'items') ?? [];
  try {
    await loaded;
  } catch (e) {
    const message = `the frameseal module did not load: ${messageOf(e)}`;
    if (type === 'open') post({ type: 'failed', id, message });
    for (const item of items) send({ id: own(item, 'id'), n: own(item, 'n'), error: message });
    return;
  }
  switch (type) {
    case 'open':
      try {
        open(data);
      } catch (e) {
        post({ type: 'failed', id, message: messageOf(e) });
      }
      break;
    case 'push':
      // In order: each push is verified before the next one starts.
      for (const item of items) push(item);
      break;
    case 'stats': {
      const gate = gates.get(id);
      post({ type: 'stats', id, n: own(data, 'n'), stats: gate ? gate.stats() : null });
      break;
    }
    case 'close':
      gates.get(id)?.close();
      gates.get(id)?.free();
      gates.delete(id);
      break;
    default:
      break;
  }
};
