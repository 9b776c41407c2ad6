// Network faults end to end: for each of the demo relay's faults on its own,
// a display in headless Chromium and Firefox (browsers.mjs) watches one camera through the real relay
// (WebSocket, session binding) with a FrameGate, and a second, policy-free
// Verifier beside it says what each delivered frame really is:
// - "intact genuine": the linked camera's frame on this display's session
//   stream with a valid signature (the oracle accepts it, or calls a repeat
//   of one `replayed`; it has no time limits and a 65,536-frame window);
// - anything else: a stranger's frame, a corrupted one, another session's.
// For every fault the test asserts that no frame outside "intact genuine"
// was accepted or drawn, and measures the genuine frames frameseal itself
// cost: intact genuine frames delivered (once each) minus those FrameGate
// accepted. Faults that only lose, repeat, damage, reorder within the replay
// window or delay within the max age must cost none; reordering past the
// window and delay past the max age cost the frames they hit, and the test
// checks that the reason is the policy's (`stale`/`replayed`), then prints
// one table of every figure.
//
// Needs the demo's release binary (FRAMESEAL_DEMO_BIN), pkg/ built, and Debian's
// chromium and firefox-esr. Run: node --test tests/e2e/faults.test.mjs
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ENGINES } from './browsers.mjs';
import { DEMO_BIN, DEMO_BUILD } from './demo-server.mjs';
import { withDemo } from './with-demo.mjs';

// Seconds each fault is watched; the far ones need time for a held frame to
// come back (70 frames at 5 fps = 14 s; a long delay is 11–14 s).
const PHASES = [
  { fault: null, seconds: 6, free: true },
  { fault: 'loss', seconds: 8, free: true },
  { fault: 'duplication', seconds: 8, free: true },
  { fault: 'reordering', seconds: 8, free: true },
  { fault: 'delay', seconds: 10, free: true },
  { fault: 'corruption', seconds: 8, free: true },
  { fault: 'mixup', seconds: 8, free: true },
  { fault: 'farreordering', seconds: 24, free: false, reasons: ['stale', 'replayed'] },
  { fault: 'longdelay', seconds: 20, free: false, reasons: ['stale'] },
];

/** Runs in the page: one display of `camera` under the faults in force. */
async function watch({ camera, publicKey, seconds }) {
  const FRAME_US = 200_000; // demo/src/cameras.rs FRAME_INTERVAL
  const { default: init, FrameGate, Verifier } = await import('/pkg/frameseal.js');
  await init();
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const key = new Uint8Array(publicKey.match(/../g).map((h) => parseInt(h, 16)));
  const session = crypto.getRandomValues(new Uint8Array(16));
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 48;
  const gate = new FrameGate(canvas, key, { streamId: session, stallAfterMs: null });
  const oracle = new Verifier(key, {
    streamId: session, maxAgeMs: null, maxFutureSkewMs: null, replayWindow: 65536,
  });
  const m = {
    messages: 0, genuine: 0, genuineRepeats: 0, accepted: 0, other: 0,
    otherAccepted: 0, otherDrawn: 0, notGenuine: {}, costReasons: {},
    outOfOrderAccepted: 0, firstUs: Infinity, lastUs: -Infinity,
  };
  const pushes = [];
  let highestAccepted = -1;
  await new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/ws/${encodeURIComponent(camera)}`);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      ws.send(JSON.stringify({ session: hex(session), key: publicKey }));
      setTimeout(() => { ws.onclose = null; ws.close(); resolve(); }, seconds * 1000);
    };
    ws.onerror = () => reject(new Error('relay WebSocket failed'));
    ws.onclose = () => reject(new Error('relay closed the WebSocket'));
    ws.onmessage = (event) => {
      const frame = new Uint8Array(event.data);
      m.messages += 1;
      const truth = oracle.verify(frame);
      const genuine = truth.ok || truth.reason === 'replayed';
      if (truth.ok) {
        m.genuine += 1;
        m.firstUs = Math.min(m.firstUs, truth.timestampUs);
        m.lastUs = Math.max(m.lastUs, truth.timestampUs);
      } else if (genuine) {
        m.genuineRepeats += 1;
      } else {
        m.other += 1;
        m.notGenuine[truth.reason] = (m.notGenuine[truth.reason] ?? 0) + 1;
      }
      pushes.push(gate.push(frame).then((r) => {
        if (r.ok && !genuine) m.otherAccepted += 1;
        if (r.drawn && !genuine) m.otherDrawn += 1;
        if (r.ok) {
          m.accepted += 1;
          if (r.seq < highestAccepted) m.outOfOrderAccepted += 1;
          highestAccepted = Math.max(highestAccepted, r.seq);
        } else if (truth.ok) {
          m.costReasons[r.reason] = (m.costReasons[r.reason] ?? 0) + 1;
        }
      }));
    };
  });
  await Promise.all(pushes);
  // The demo cameras capture every 200 ms: the frames the camera made for
  // this display between the first and the last intact one delivered.
  m.sent = m.genuine ? Math.round((m.lastUs - m.firstUs) / FRAME_US) + 1 : 0;
  gate.free();
  oracle.free();
  return m;
}

/** Every phase of PHASES in turn, in `engine`; prints the table. */
async function faults(engine) {
  const rows = [];
  await withDemo(engine, async ({ demo, browser }) => {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (message) => problems.push(`page error: ${message}`));
    await page.goto(`${demo.origin}/api/cameras`);
    const { cameras } = await page.evaluate(() => fetch('/api/cameras').then((r) => r.json()));
    const camera = cameras[0];
    for (const phase of PHASES) {
      const faults = Object.fromEntries(PHASES.filter((p) => p.fault).map((p) => [p.fault, p.fault === phase.fault]));
      const state = await page.evaluate((body) => fetch('/api/faults', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      }).then((r) => r.json()), faults);
      assert.equal(state[phase.fault ?? 'loss'], phase.fault !== null, `relay switched ${phase.fault}`);
      const m = await page.evaluate(watch, {
        camera: camera.id, publicKey: camera.publicKey, seconds: phase.seconds,
      });
      const cost = m.genuine - m.accepted;
      rows.push({ phase, m, cost });
      const name = phase.fault ?? 'none';
      assert.ok(m.genuine >= phase.seconds * 2, `${name}: genuine frames arrived (${m.genuine})`);
      assert.equal(m.otherAccepted, 0, `${name}: no foreign, forged or other-session frame accepted`);
      assert.equal(m.otherDrawn, 0, `${name}: no foreign, forged or other-session frame drawn`);
      assert.ok(cost >= 0, `${name}: FrameGate accepted no frame the oracle did not`);
      if (phase.free) {
        assert.equal(cost, 0, `${name}: no genuine frame lost to frameseal (${JSON.stringify(m.costReasons)})`);
      } else {
        assert.ok(cost > 0, `${name}: the fault hit some frames (${cost})`);
        for (const reason of Object.keys(m.costReasons)) {
          assert.ok(phase.reasons.includes(reason), `${name}: genuine frames cost only by ${phase.reasons} (${reason})`);
        }
      }
    }
    // Each fault really did what it says (else a zero above proves nothing).
    const by = Object.fromEntries(rows.map((r) => [r.phase.fault ?? 'none', r.m]));
    assert.ok(by.loss.sent - by.loss.genuine > 0, 'loss lost frames');
    assert.ok(by.duplication.genuineRepeats > 0, 'duplication repeated frames');
    assert.ok(by.reordering.outOfOrderAccepted > 0, 'reordering: late frames accepted within the window');
    assert.ok(by.delay.outOfOrderAccepted > 0, 'delay (1–2.5 s, per frame): reordered frames accepted');
    assert.ok((by.corruption.notGenuine['bad-signature'] ?? 0) > 0, 'corruption damaged frames');
    assert.ok((by.mixup.notGenuine['foreign-key'] ?? 0) > 0, 'mix-up served strangers\' frames');
    assert.deepEqual(problems, []);
  });
  const table = [
    '| fault | s | camera frames | delivered intact (unique) | lost by the network | repeats | foreign / damaged / other session delivered | accepted | drawn foreign | genuine lost to frameseal (why) |',
    '|---|---:|---:|---:|---:|---:|---|---:|---:|---|',
    ...rows.map(({ phase, m, cost }) => `| ${phase.fault ?? 'none'} | ${phase.seconds} | ${m.sent} | ${m.genuine} | ${m.sent - m.genuine} | ${m.genuineRepeats} | ${m.notGenuine['foreign-key'] ?? 0} / ${(m.notGenuine['bad-signature'] ?? 0) + (m.notGenuine.malformed ?? 0)} / ${m.notGenuine['wrong-stream'] ?? 0} | ${m.accepted} | ${m.otherDrawn} | ${cost}${cost ? ` (${Object.entries(m.costReasons).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''} |`),
  ];
  console.log(`${engine}:\n${table.join('\n')}`);
}

for (const engine of ENGINES) {
  describe(engine, () => {
    test('network faults: nothing foreign drawn, and what each fault costs in genuine frames', {
      skip: existsSync(DEMO_BIN) ? false : `no ${DEMO_BIN}: ${DEMO_BUILD}`,
      timeout: 300_000,
    }, () => faults(engine));
  });
}
