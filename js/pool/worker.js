// frameseal gate worker (ships as pkg/pool/worker.js): runs FrameGates off
// the main thread, each drawing on an OffscreenCanvas the page transferred.
// Started and spoken to by GatePool (pkg/pool/index.js); not an API of its own.
//
// Messages from the page (every one carries the gate's `id`):
//   { type: 'open', id, canvas, linkedPublicKey, options, events }
//       -> { type: 'opened', id, linkedPublicKey } | { type: 'failed', id, message }
//   { type: 'push', id, n, frame: ArrayBuffer } -> { type: 'pushed', id, n, result }
//   { type: 'stats', id, n }                    -> { type: 'stats', id, n, stats }
//   { type: 'close', id }
// and, when `events` asks for them, { type: 'event', id, kind, value } for
// onDrop / onStall / onResume / onReport. A push whose handling throws
// answers { type: 'pushed', id, n, error }.

import init, { FrameGate } from '../frameseal.js';

const loaded = init();
const gates = new Map();
const post = (message) => self.postMessage(message);
const messageOf = (e) => (e && typeof e.message === 'string' ? e.message : String(e));

function open({ id, canvas, linkedPublicKey, options, events }) {
  const opts = { ...options };
  const on = (kind) => (value) => post({ type: 'event', id, kind, value });
  if (events.drop) opts.onDrop = on('drop');
  if (events.stall) opts.onStall = on('stall');
  if (events.resume) opts.onResume = on('resume');
  if (events.report) opts.onReport = on('report');
  const gate = new FrameGate(canvas, linkedPublicKey, opts);
  gates.set(id, gate);
  post({ type: 'opened', id, linkedPublicKey: gate.linkedPublicKey });
}

async function push({ id, n, frame }) {
  const gate = gates.get(id);
  if (!gate) {
    post({ type: 'pushed', id, n, error: 'this gate is closed' });
    return;
  }
  try {
    const result = await gate.push(new Uint8Array(frame));
    // The payload stays here (the page transferred or copied the frame);
    // everything else of the result goes back.
    delete result.payload;
    post({ type: 'pushed', id, n, result });
  } catch (e) {
    post({ type: 'pushed', id, n, error: messageOf(e) });
  }
}

self.onmessage = async ({ data }) => {
  try {
    await loaded;
  } catch (e) {
    post({ type: data.type === 'open' ? 'failed' : 'pushed', id: data.id, n: data.n, message: `the frameseal module did not load: ${messageOf(e)}`, error: messageOf(e) });
    return;
  }
  switch (data.type) {
    case 'open':
      try {
        open(data);
      } catch (e) {
        post({ type: 'failed', id: data.id, message: messageOf(e) });
      }
      break;
    case 'push':
      await push(data);
      break;
    case 'stats': {
      const gate = gates.get(data.id);
      post({ type: 'stats', id: data.id, n: data.n, stats: gate ? gate.stats() : null });
      break;
    }
    case 'close':
      gates.get(data.id)?.close();
      gates.get(data.id)?.free();
      gates.delete(data.id);
      break;
    default:
      break;
  }
};
