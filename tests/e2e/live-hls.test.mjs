// End to end: the relay demo's live H.264 tile "LL-HLS with hls.js"
// (www/live.js) in headless Chromium and Firefox (browsers.mjs;
// FRAMESEAL_E2E_ENGINES picks).
//
// The demo serves its linked home camera as LL-HLS (/hls/home/live.m3u8:
// fMP4, EXT-X-MAP, 2 s segments of one GOP, parts of 5 frames); the tile
// plays it twice: hls.js with frameseal/hls in front of its fragment loader,
// and plain hls.js. The test samples both <video> elements every SAMPLE_MS
// (drawImage to a canvas, at points only the camera's colour covers) while
// it switches on the mix-up (the server serves every third segment and its
// parts from the other home's stream) and then the old-parts fault (every
// third segment from two segments earlier), each until it has been served
// and the gate has dropped what it served, then switches it off and waits
// until the gated video's currentTime has advanced by a second. It asserts:
// - the gated video never showed the other home (nor any other colour);
//   the plain hls.js one did (the mix-up fired);
// - the gate dropped the other home's samples as foreign-key and the old
//   ones as replayed (or stale), and nothing as malformed, unsigned or
//   bad-signature.
// Exact equality of the gate's counts with the server's is checked on the
// WebSocket tile (live-mse.test.mjs); here hls.js may load a part and later
// the whole segment holding it, and both players ask the same server, so
// the server's counts (samples served in place, once per position) bound
// the gate's from neither side.
//
// Needs the demo's release binary (FRAMESEAL_DEMO_BIN), pkg/ built (with
// pkg/hls/), hls.js in node_modules (npm install), ffmpeg on PATH, and
// Debian's chromium and firefox-esr. Run: node --test tests/e2e/live-hls.test.mjs
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ENGINES } from './browsers.mjs';
import { DEMO_BIN, DEMO_BUILD, ROOT, noProblems } from './demo-server.mjs';
import { withDemo } from './with-demo.mjs';
import { gateAdvances, openLivePage, samples, setFaults, startSampler, tileData } from './live-page.mjs';

const SAMPLE_MS = 50;
const WAIT_MS = 60_000;

/** The server's counts of samples served in place of the home camera's own. */
async function served(page) {
  return page.evaluate(() => fetch('/api/live').then((r) => r.json()).then((i) => i.cameras[0].hls));
}

async function liveHls(engine, t) {
  assert.ok(existsSync(path.join(ROOT, 'node_modules', 'hls.js', 'dist', 'hls.mjs')), 'hls.js is not installed (npm install)');
  await withDemo(engine, async ({ demo, browser }) => {
    const { page, problems, state, note } = await openLivePage(browser, demo, 'hls');
    if (state === 'unavailable' && /ffmpeg/.test(note)) {
      t.skip(`the demo has no ffmpeg: ${note}`);
      return;
    }
    assert.equal(state, 'running', `the LL-HLS tile runs (${note})`);
    await page.waitForFunction(() => document.querySelector('#live-hls .live-gate-video')
      .getAttribute('data-frameseal-live') === 'true', null, { timeout: WAIT_MS })
      .catch(async (e) => { throw new Error(`${e.message}; tile ${JSON.stringify(await tileData(page, 'hls'))}`); });
    await startSampler(page, 'hls', SAMPLE_MS);

    const log = [];
    const phases = [
      { fault: 'mixup', done: ({ dropped }, server, raw) => dropped['foreign-key'] > 0 && server.foreign > 0 && raw.other > 0 },
      { fault: 'oldparts', done: ({ dropped }, server) => dropped.replayed + dropped.stale > 0 && server.old > 0 },
    ];
    for (const { fault, done } of phases) {
      await setFaults(page, [fault]);
      const started = Date.now();
      for (;;) {
        const [{ stats }, server, pixels] = await Promise.all([tileData(page, 'hls'), served(page), samples(page)]);
        if (stats.dropped && done(stats, server, pixels.raw)) break;
        assert.ok(Date.now() - started < WAIT_MS, `${fault}: not seen within ${WAIT_MS} ms: `
          + `gate ${JSON.stringify(stats)}, served ${JSON.stringify(server)}, pixels ${JSON.stringify(pixels)}`);
        await new Promise((resolve) => { setTimeout(resolve, 250); }); // poll again (bounded by WAIT_MS above)
      }
      await setFaults(page, []);
      const at = await gateAdvances(page, 'hls', 1);
      log.push(`${fault}: ${Date.now() - started} ms until served and dropped; gated currentTime ${at.toFixed(2)} s, advanced after`);
    }

    const seen = await samples(page);
    await page.evaluate(() => window.__frameseal_live_sampler.stop());
    const { stats, errors } = await tileData(page, 'hls');
    const server = await served(page);
    console.log(`${engine}: ${log.join('\n  ')}`);
    console.log(`  server served in place: ${JSON.stringify(server)}`);
    console.log(`  frameseal/hls: accepted ${stats.accepted}, skippedUntilKeyframe ${stats.skippedUntilKeyframe}, `
      + `dropped ${JSON.stringify(Object.fromEntries(Object.entries(stats.dropped).filter(([, n]) => n > 0)))}, hls ${JSON.stringify(stats.hls)}`);
    for (const [name, r] of Object.entries(seen)) {
      console.log(`  ${name}: ${r.samples} samples: linked ${r.linked}, other home ${r.other}, glitch ${r.glitch}, none ${r.none}; `
        + `first other ${JSON.stringify(r.firstOther)}, first glitch ${JSON.stringify(r.firstGlitch)}`);
    }

    await noProblems(page, problems);
    assert.deepEqual(errors, [], 'no fatal hls.js error in either player');
    const g = seen.gate;
    assert.ok(g.samples > 100, `the gated video was sampled (${g.samples})`);
    assert.equal(g.other, 0, `the gated video showed the other home: ${JSON.stringify(g.firstOther)}`);
    assert.equal(g.glitch, 0, `the gated video showed another colour: ${JSON.stringify(g.firstGlitch)}`);
    assert.ok(g.linked > g.samples * 0.9, `the gated video showed the linked home (${g.linked}/${g.samples})`);
    assert.ok(seen.raw.other > 0, 'plain hls.js showed the other home: the mix-up fired');
    for (const reason of ['malformed', 'unsigned', 'bad-signature', 'wrong-stream']) {
      assert.equal(stats.dropped[reason], 0, `no ${reason} drops`);
    }
  });
}

for (const engine of ENGINES) {
  describe(engine, () => {
    test('live H.264 as LL-HLS: hls.js behind frameseal/hls shows only the linked home under mix-up and old parts', {
      skip: existsSync(DEMO_BIN) ? false : `no ${DEMO_BIN}: ${DEMO_BUILD}`,
      timeout: 300_000,
    }, (t) => liveHls(engine, t));
  });
}
