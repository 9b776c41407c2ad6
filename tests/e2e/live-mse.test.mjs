// End to end: the relay demo's live H.264 tile "MSE over WebSocket,
// go2rtc-style" (www/live.js) in headless Chromium and Firefox
// (browsers.mjs; FRAMESEAL_E2E_ENGINES picks).
//
// The demo encodes two live cameras with ffmpeg (x264), seals every access
// unit in-band, remuxes to one fMP4 fragment per frame and sends the linked
// home's fragments over /ws/live/home through the relay's faults; one
// WebSocket feeds an MseGate on one <video> and a naive MediaSource player
// on another. The test samples both videos' pixels every SAMPLE_MS
// (drawImage to a canvas, at points only the camera's colour covers) and,
// switching on one fault at a time (mix-up, replay, loss, reordering,
// tampered sample), waits until the relay has injected it several times
// (the relay tells the page its counts on the same WebSocket), switches it
// off and waits until the gated video's currentTime has advanced by a
// second. Then the blackhole: data-frameseal-live must turn "false", and
// "true" again once fragments flow. It asserts:
// - the gated video never showed the other home (nor any other colour);
//   the naive one did (the mix-up fired);
// - the gate's drops by reason equal what the relay injected: foreign-key =
//   the other home's fragments, replayed = fragments sent again,
//   bad-signature = tampered samples; loss, reordering and tampering cost
//   samples until the next keyframe (skippedUntilKeyframe), and append()
//   never threw.
// Two short ones: the relay demo's main page (index.html) carries both
// live tiles and both gated videos go live; and a demo started without
// ffmpeg on PATH says so in both tiles while its still cameras run on.
//
// Needs the demo's release binary (FRAMESEAL_DEMO_BIN, default
// target/release/frameseal-demo), pkg/ built, ffmpeg on PATH (the demo
// starts it; without it the tile says so and this test skips), and
// Debian's chromium and firefox-esr. Run: node --test tests/e2e/live-mse.test.mjs
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ENGINES } from './browsers.mjs';
import { DEMO_BIN, DEMO_BUILD, noProblems, openPage } from './demo-server.mjs';
import { withDemo } from './with-demo.mjs';
import { gateAdvances, openLivePage, samples, setFaults, startSampler, tileData } from './live-page.mjs';

const SAMPLE_MS = 50;
/** Each fault stays on until the relay has injected it this many times (mix-up: bursts of fragments). */
const PHASES = [
  { fault: 'mixup', kind: 'foreign', times: 10 },
  { fault: 'replay', kind: 'replayed', times: 4 },
  { fault: 'loss', kind: 'lost', times: 4 },
  { fault: 'reordering', kind: 'reordered', times: 4 },
  { fault: 'tamper', kind: 'tampered', times: 4 },
];
const WAIT_MS = 60_000;

async function liveMse(engine, t) {
  await withDemo(engine, async ({ demo, browser }) => {
    const { page, problems, state, note } = await openLivePage(browser, demo, 'mse');
    if (state === 'unavailable' && /ffmpeg/.test(note)) {
      t.skip(`the demo has no ffmpeg: ${note}`);
      return;
    }
    assert.equal(state, 'running', `the MSE tile runs (${note})`);
    await page.waitForFunction(() => document.querySelector('#live-mse .live-gate-video')
      .getAttribute('data-frameseal-live') === 'true', null, { timeout: WAIT_MS });
    await startSampler(page, 'mse', SAMPLE_MS);

    const log = [];
    for (const { fault, kind, times } of PHASES) {
      const before = (await tileData(page, 'mse')).injected[kind] ?? 0;
      await setFaults(page, [fault]);
      const started = Date.now();
      await page.waitForFunction(({ kind: k, target, mixup }) => {
        const tile = document.getElementById('live-mse');
        const injected = JSON.parse(tile.dataset.injected ?? '{}');
        const naiveSawOther = window.__frameseal_live_sampler.results.raw.other > 0;
        return (injected[k] ?? 0) >= target && (!mixup || naiveSawOther);
      }, { kind, target: before + times, mixup: fault === 'mixup' }, { timeout: WAIT_MS, polling: 100 })
        .catch(async (e) => {
          throw new Error(`${fault}: ${e.message}; tile ${JSON.stringify(await tileData(page, 'mse'))}; `
            + `pixels ${JSON.stringify(await samples(page))}`);
        });
      await setFaults(page, []);
      const at = await gateAdvances(page, 'mse', 1);
      log.push(`${fault}: ${Date.now() - started} ms to inject ${times} ${kind}; gated currentTime ${at.toFixed(2)} s, advanced after`);
    }

    // Liveness: the feed stops, and comes back.
    await setFaults(page, ['blackhole']);
    await page.waitForFunction(() => document.querySelector('#live-mse .live-gate-video')
      .getAttribute('data-frameseal-live') === 'false', null, { timeout: WAIT_MS });
    await setFaults(page, []);
    await page.waitForFunction(() => document.querySelector('#live-mse .live-gate-video')
      .getAttribute('data-frameseal-live') === 'true', null, { timeout: WAIT_MS });
    await gateAdvances(page, 'mse', 1);

    // Every fragment the relay sent has been through the gate: its counts settle on the relay's.
    await page.waitForFunction(() => {
      const tile = document.getElementById('live-mse');
      const { dropped } = JSON.parse(tile.dataset.stats);
      const injected = JSON.parse(tile.dataset.injected);
      return dropped['foreign-key'] === injected.foreign && dropped.replayed === injected.replayed
        && dropped['bad-signature'] === injected.tampered;
    }, null, { timeout: 20_000, polling: 250 }).catch(() => {}); // the assertions below say what differs
    const seen = await samples(page);
    await page.evaluate(() => window.__frameseal_live_sampler.stop());
    const data = await tileData(page, 'mse');
    const { stats, injected } = data;
    console.log(`${engine}: ${log.join('\n  ')}`);
    console.log(`  relay injected ${JSON.stringify(injected)}`);
    console.log(`  MseGate: accepted ${stats.accepted}, drawn ${stats.drawn}, skippedUntilKeyframe ${stats.skippedUntilKeyframe}, `
      + `dropped ${JSON.stringify(Object.fromEntries(Object.entries(stats.dropped).filter(([, n]) => n > 0)))}`);
    for (const [name, r] of Object.entries(seen)) {
      console.log(`  ${name}: ${r.samples} samples: linked ${r.linked}, other home ${r.other}, glitch ${r.glitch}, none ${r.none}; `
        + `first other ${JSON.stringify(r.firstOther)}, first glitch ${JSON.stringify(r.firstGlitch)}`);
    }

    await noProblems(page, problems);
    const g = seen.gate;
    assert.ok(g.samples > 200, `the gated video was sampled (${g.samples})`);
    assert.equal(g.other, 0, `the gated video showed the other home: ${JSON.stringify(g.firstOther)}`);
    assert.equal(g.glitch, 0, `the gated video showed another colour: ${JSON.stringify(g.firstGlitch)}`);
    assert.ok(g.linked > g.samples * 0.9, `the gated video showed the linked home (${g.linked}/${g.samples})`);
    assert.ok(seen.raw.other > 0, 'the naive player showed the other home: the mix-up fired');
    assert.equal(stats.dropped['foreign-key'], injected.foreign, 'foreign-key drops = the other home\'s fragments sent');
    assert.equal(stats.dropped.replayed, injected.replayed, 'replayed drops = fragments sent again');
    assert.equal(stats.dropped['bad-signature'], injected.tampered, 'bad-signature drops = tampered samples');
    for (const reason of ['malformed', 'unsigned', 'wrong-stream', 'stale', 'future']) {
      assert.equal(stats.dropped[reason], 0, `no ${reason} drops`);
    }
    assert.ok(stats.skippedUntilKeyframe > 0, 'lost, reordered and tampered fragments cost samples until a keyframe');
    assert.ok(injected.lost >= 4 && injected.reordered >= 4, 'loss and reordering were injected');
    assert.equal(data.gateErrors, 0, 'MseGate.append never threw or rejected');
  });
}

/** The relay demo's main page carries both live tiles, and they play. */
async function onTheMainPage(engine, t) {
  await withDemo(engine, async ({ demo, browser }) => {
    const { page, problems } = await openPage(browser);
    await page.goto(demo.url);
    await page.waitForFunction(() => ['live-mse', 'live-hls'].every((id) => ['running', 'unavailable', 'failed']
      .includes(document.getElementById(id)?.dataset.state)), null, { timeout: WAIT_MS });
    const notes = await page.evaluate(() => [...document.querySelectorAll('.live-note')].map((n) => n.textContent).join(' '));
    if (/ffmpeg is not installed/.test(notes)) {
      t.skip(`the demo has no ffmpeg: ${notes}`);
      return;
    }
    await page.waitForFunction(() => ['live-mse', 'live-hls']
      .every((id) => document.getElementById(id)?.dataset.state === 'running'), null, { timeout: WAIT_MS });
    await page.waitForFunction(() => [...document.querySelectorAll('.live-gate-video')]
      .every((v) => v.getAttribute('data-frameseal-live') === 'true'), null, { timeout: WAIT_MS });
    await noProblems(page, problems);
  });
}

/** Without ffmpeg on PATH the demo starts, its live tiles say why they are empty, and the stills run on. */
async function withoutFfmpeg(engine) {
  const env = { ...process.env, PATH: '/nonexistent' };
  await withDemo(engine, async ({ demo, browser }) => {
    const { page, problems } = await openPage(browser);
    await page.goto(demo.url);
    await page.waitForFunction(() => ['live-mse', 'live-hls']
      .every((id) => document.getElementById(id)?.dataset.state === 'unavailable'), null, { timeout: WAIT_MS });
    const notes = await page.evaluate(() => [...document.querySelectorAll('.live-note')]
      .map((n) => (n.checkVisibility() ? n.textContent : '')));
    for (const note of notes) assert.match(note, /ffmpeg is not installed/);
    await page.waitForFunction(() => document.querySelectorAll('.feed-live.pill-live').length === 3, null, { timeout: WAIT_MS });
    await noProblems(page, problems);
  }, { env });
}

for (const engine of ENGINES) {
  describe(engine, () => {
    const skip = existsSync(DEMO_BIN) ? false : `no ${DEMO_BIN}: ${DEMO_BUILD}`;
    test('live H.264 over WebSocket (go2rtc-style MSE): MseGate shows only the linked home under every fault', {
      skip, timeout: 600_000,
    }, (t) => liveMse(engine, t));
    test('the relay demo page carries both live tiles, and they play', { skip, timeout: 180_000 }, (t) => onTheMainPage(engine, t));
    test('without ffmpeg the live tiles say so and the still cameras run on', { skip, timeout: 180_000 }, () => withoutFfmpeg(engine));
  });
}
