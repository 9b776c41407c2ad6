// End to end: the relay demo's Axis camera tile (www/axis.js, page
// www/axis.html?probe) in headless Chromium.
//
// The demo plays axis_signed_test_h264.mp4 (Axis Signed Video, 256
// pictures in GOPs of 62) in a loop over /ws/axis through the relay's
// faults (demo/src/axis_relay.rs); the tile feeds one VideoDecoder
// through a SignedVideoGate linked to the camera's key and another with
// everything. With ?probe the tile records every picture it draws (loop,
// picture of the recording, SHA-256 of the canvas's pixels). The test:
// - faults off: waits for a loop whose five GOPs are all authentic and
//   whose 256 pictures the protected tile drew; those pixels are the
//   genuine pictures (the reference below), and the unprotected tile drew
//   the same ones;
// - mix-up: the relay sends, in one GOP per loop, the GOP of another
//   signed camera (the same scene signed with another key, a moment
//   earlier or later): the protected tile reports that GOP not authentic
//   and never draws a picture that differs from the genuine one at its
//   place; the unprotected one draws the other camera's pictures there
//   (pixels equal to the genuine recording's at the other camera's place);
// - tampered GOP: one byte of one picture changed in one GOP per loop: the
//   protected tile reports that GOP `tampered` and draws none of its
//   pictures; the unprotected one draws the changed picture;
// - loss: two pictures of one GOP dropped: that GOP is `incomplete` and
//   the protected tile draws none of it;
// - blackhole: the protected canvas's data-frameseal-live turns "false",
//   and "true" again once the relay sends;
// - faults off again: a whole loop is authentic and drawn.
// Every wait is for a state the page reports, never a fixed sleep.
//
// A second test: in Firefox the tile either plays (WebCodecs VideoDecoder,
// Firefox 130+) or says clearly that it cannot (no VideoDecoder).
//
// Needs the demo's release binary (FRAMESEAL_DEMO_BIN, default
// target/release/frameseal-demo) and pkg/signed-video/ built
// (./build.sh build). Run: node --test tests/e2e/demo-axis.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ENGINES } from './browsers.mjs';
import { ROOT, noProblems, openPage } from './demo-server.mjs';
import { withDemo } from './with-demo.mjs';

const WAIT_MS = 90_000;
const PICTURES = 256;

async function setFaults(page, on) {
  const body = Object.fromEntries(['mixup', 'tamper', 'loss', 'blackhole'].map((f) => [f, on.includes(f)]));
  const state = await page.evaluate((b) => fetch('/api/faults', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b),
  }).then((r) => r.json()), body);
  for (const [fault, value] of Object.entries(body)) assert.equal(state[fault], value, `relay: fault ${fault}`);
}

/** The tile's figures and what both screens drew. */
function tile(page) {
  return page.evaluate(() => {
    const node = document.getElementById('axis-camera');
    const { drawn } = window.__frameseal_axis;
    return {
      state: node.dataset.state,
      reports: JSON.parse(node.dataset.reports ?? '[]'),
      relay: JSON.parse(node.dataset.relay ?? '[]'),
      counts: JSON.parse(node.dataset.counts ?? '{}'),
      drawn: { protected: [...drawn.protected], unprotected: [...drawn.unprotected] },
    };
  });
}

/** Waits until the tile has the reports of loop `loop + 1`'s first GOP: loop `loop` is then all shown. */
async function loopDone(page, loop) {
  await page.waitForFunction((l) => JSON.parse(document.getElementById('axis-camera').dataset.reports ?? '[]')
    .some((r) => r.loop === l + 1 && r.gop === 0), loop, { timeout: WAIT_MS, polling: 200 });
}

/** Waits for the relay's first note of `fault`; returns it. */
async function firstFault(page, fault) {
  const find = (f) => JSON.parse(document.getElementById('axis-camera').dataset.relay ?? '[]').find((n) => n.fault === f);
  await page.waitForFunction((f) => JSON.parse(document.getElementById('axis-camera').dataset.relay ?? '[]')
    .some((n) => n.fault === f), fault, { timeout: WAIT_MS, polling: 200 });
  return page.evaluate(find, fault);
}

function byFrame(entries, loop) {
  const out = new Map();
  for (const e of entries) if (e.loop === loop) out.set(e.frame, e.hash);
  return out;
}

test('chromium: the Axis camera tile shows only authentic GOPs; the mix-up and the tampered GOP reach only the unprotected player', {
  timeout: 300_000,
}, async () => {
  assert.ok(existsSync(path.join(ROOT, 'pkg/signed-video/frameseal_signed_video.js')), 'pkg/signed-video/ is not built (./build.sh build)');
  await withDemo('chromium', async ({ demo, browser }) => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${demo.origin}/www/axis.html?probe`);
    await page.waitForFunction(() => ['running', 'failed', 'unavailable', 'unsupported']
      .includes(document.getElementById('axis-camera')?.dataset.state), null, { timeout: 60_000 });
    const note = await page.evaluate(() => document.querySelector('#axis-camera .axis-note').textContent);
    assert.equal((await tile(page)).state, 'running', `the tile runs (${note})`);
    await setFaults(page, []);
    await page.waitForFunction(() => document.querySelector('#axis-camera .axis-gated')
      .getAttribute('data-frameseal-live') === 'true', null, { timeout: WAIT_MS });

    // Faults off: a whole loop authentic and drawn; its pixels are the reference.
    await loopDone(page, 0);
    let t = await tile(page);
    const loop0 = t.reports.filter((r) => r.loop === 0);
    assert.deepEqual(loop0.map((r) => [r.gop, r.firstFrame, r.frames, r.verdict]),
      [[0, 0, 62, 'authentic'], [1, 62, 62, 'authentic'], [2, 124, 62, 'authentic'], [3, 186, 62, 'authentic'],
        [4, 248, 8, 'authentic']], 'loop 0: every GOP authentic (the last one too: its SEI follows it)');
    const genuine = byFrame(t.drawn.protected, 0);
    assert.equal(genuine.size, PICTURES, 'the protected tile drew every picture of loop 0');
    const naive0 = byFrame(t.drawn.unprotected, 0);
    let same = 0;
    for (const [frame, hash] of naive0) same += hash === genuine.get(frame) ? 1 : 0;
    assert.equal(same, PICTURES, 'both decoders drew the same pixels for the genuine pictures');
    // Some pictures repeat (the camera pans in steps), most differ.
    const distinct = new Set(genuine.values()).size;
    assert.ok(distinct > PICTURES / 2, `the recording's pictures differ from one another (${distinct} distinct)`);

    // Mix-up: one GOP per loop from the other signed camera.
    await setFaults(page, ['mixup']);
    const mix = await firstFault(page, 'mixup');
    await setFaults(page, []);
    await loopDone(page, mix.loop);
    t = await tile(page);
    const mixReport = t.reports.find((r) => r.loop === mix.loop && r.gop === mix.gop);
    assert.ok(mixReport && mixReport.verdict !== 'authentic', `the mixed-up GOP is not authentic: ${JSON.stringify(mixReport)}`);
    const inMix = (f) => f >= mix.firstFrame && f < mix.firstFrame + mix.frames;
    const gatedMix = byFrame(t.drawn.protected, mix.loop);
    assert.equal([...gatedMix.keys()].filter(inMix).length, 0, 'the protected tile drew nothing in the mixed-up GOP');
    for (const [frame, hash] of gatedMix) assert.equal(hash, genuine.get(frame), `protected, loop ${mix.loop}, picture ${frame}: the genuine pixels`);
    const naiveMix = [...byFrame(t.drawn.unprotected, mix.loop)].filter(([f]) => inMix(f));
    const otherCamera = naiveMix.filter(([f, hash]) => hash !== genuine.get(f)
      && hash === genuine.get(f - mix.firstFrame + mix.otherFirstFrame));
    assert.ok(otherCamera.length >= mix.frames / 2,
      `the unprotected tile drew the other camera's pictures (${otherCamera.length} of ${naiveMix.length} in the GOP)`);

    // Tampered GOP: one byte of one picture.
    await setFaults(page, ['tamper']);
    const tamper = await firstFault(page, 'tamper');
    await setFaults(page, []);
    await loopDone(page, tamper.loop);
    t = await tile(page);
    const tamperReport = t.reports.find((r) => r.loop === tamper.loop && r.gop === tamper.gop);
    assert.equal(tamperReport?.verdict, 'tampered', `the tampered GOP: ${JSON.stringify(tamperReport)}`);
    const inTamper = (f) => f >= tamper.firstFrame && f < tamper.firstFrame + tamper.frames;
    const gatedTamper = byFrame(t.drawn.protected, tamper.loop);
    assert.equal([...gatedTamper.keys()].filter(inTamper).length, 0, 'the protected tile drew nothing of the tampered GOP');
    for (const [frame, hash] of gatedTamper) assert.equal(hash, genuine.get(frame), `protected, loop ${tamper.loop}, picture ${frame}: the genuine pixels`);
    const [changed] = tamper.frame;
    const naiveChanged = byFrame(t.drawn.unprotected, tamper.loop).get(changed);
    assert.ok(naiveChanged && naiveChanged !== genuine.get(changed), `the unprotected tile drew the changed picture ${changed}`);

    // Loss: two pictures of one GOP dropped; the rest of it is held back too.
    await setFaults(page, ['loss']);
    const loss = await firstFault(page, 'loss');
    await setFaults(page, []);
    await loopDone(page, loss.loop);
    t = await tile(page);
    const lossReport = t.reports.find((r) => r.loop === loss.loop && r.gop === loss.gop);
    assert.equal(lossReport?.verdict, 'incomplete', `the GOP with lost pictures: ${JSON.stringify(lossReport)}`);
    assert.equal(lossReport.frames, loss.frames - loss.frame.length);
    const inLoss = (f) => f >= loss.firstFrame && f < loss.firstFrame + loss.frames;
    assert.equal([...byFrame(t.drawn.protected, loss.loop).keys()].filter(inLoss).length, 0,
      'the protected tile drew nothing of the incomplete GOP');

    // Blackhole: the protected screen goes not live, and live again after.
    const liveIs = (value) => page.waitForFunction((v) => document.querySelector('#axis-camera .axis-gated')
      .getAttribute('data-frameseal-live') === v, value, { timeout: WAIT_MS });
    await setFaults(page, ['blackhole']);
    await liveIs('false');
    await setFaults(page, []);
    await liveIs('true');

    // Faults off: a whole loop authentic and drawn again.
    // A loop that starts after the blackhole ended (the newest loop with a
    // report may have started during it).
    t = await tile(page);
    const clean = Math.max(...t.reports.map((r) => r.loop)) + 2;
    await loopDone(page, clean);
    t = await tile(page);
    assert.ok(t.reports.filter((r) => r.loop === clean).every((r) => r.verdict === 'authentic'));
    const cleanDrawn = byFrame(t.drawn.protected, clean);
    assert.equal(cleanDrawn.size, PICTURES, `loop ${clean}: every picture drawn`);
    for (const [frame, hash] of cleanDrawn) assert.equal(hash, genuine.get(frame));
    console.log(`chromium: ${distinct} distinct pictures in the recording; mix-up in loop ${mix.loop} GOP ${mix.gop} (${mixReport.verdict} ${mixReport.reason}), `
      + `unprotected drew ${otherCamera.length} of the other camera's pictures; tampered picture ${changed} in loop `
      + `${tamper.loop} GOP ${tamper.gop}; lost ${loss.frame} in loop ${loss.loop}; counts ${JSON.stringify(t.counts)}`);
    await noProblems(page, problems);
  });
});

if (ENGINES.includes('firefox')) test('firefox: the Axis camera tile plays, or says it cannot decode here', {
  timeout: 120_000,
}, async () => {
  await withDemo('firefox', async ({ demo, browser }) => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${demo.origin}/www/axis.html`);
    await page.waitForFunction(() => ['running', 'failed', 'unavailable', 'unsupported']
      .includes(document.getElementById('axis-camera')?.dataset.state), null, { timeout: 60_000 });
    const { state, note, hasDecoder } = await page.evaluate(() => ({
      state: document.getElementById('axis-camera').dataset.state,
      note: document.querySelector('#axis-camera .axis-note').textContent,
      hasDecoder: typeof VideoDecoder === 'function',
    }));
    if (hasDecoder) {
      assert.equal(state, 'running', note);
      await page.waitForFunction(() => document.querySelector('#axis-camera .axis-gated')
        .getAttribute('data-frameseal-live') === 'true', null, { timeout: WAIT_MS });
    } else {
      assert.equal(state, 'unsupported');
      assert.match(note, /no WebCodecs VideoDecoder/);
    }
    console.log(`firefox: VideoDecoder ${hasDecoder ? 'present: the tile plays' : `absent: "${note}"`}`);
    await noProblems(page, problems);
  });
});

test('chromium without WebCodecs: the Axis camera tile says it cannot decode here', { timeout: 120_000 }, async () => {
  await withDemo('chromium', async ({ demo, browser }) => {
    const { page, problems } = await openPage(browser);
    // As in a browser without WebCodecs (Firefox before 130, Firefox ESR 128).
    await page.addInitScript(() => { delete window.VideoDecoder; delete window.EncodedVideoChunk; });
    await page.goto(`${demo.origin}/www/axis.html`);
    await page.waitForFunction(() => document.getElementById('axis-camera')?.dataset.state === 'unsupported',
      null, { timeout: 60_000 });
    const note = await page.evaluate(() => {
      const n = document.querySelector('#axis-camera .axis-note');
      return n.hidden ? '' : n.textContent;
    });
    assert.match(note, /no WebCodecs VideoDecoder/);
    await noProblems(page, problems);
  });
});
