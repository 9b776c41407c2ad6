// End to end: the relay demo's video camera tile (www/video-camera.js) in
// headless Chromium and Firefox (browsers.mjs; each test runs in every
// engine of FRAMESEAL_E2E_ENGINES).
//
// The page encodes two VP8 cameras itself (WebCodecs VideoEncoder), signs
// every chunk (Signer), and sends the linked camera's chunks through an
// in-page copy of the relay's faults to two screens: a VideoGate linked to
// the camera's key, and a plain VideoDecoder fed everything. Each camera
// paints its own background colour at points nothing else touches (the tile
// names them in data-plain-points), so a pixel there says whose picture a
// screen shows. With the cache mix-up (and corruption) switched on in the
// page, the test samples both screens every SAMPLE_MS for WATCH_MS and
// asserts that:
// - the protected screen showed the linked camera's colour (nearly) all the
//   time and never the stranger's, nor any other colour (no glitch);
// - the unprotected screen did show the stranger (the mix-up fired) and the
//   linked camera too;
// - the VideoGate counted foreign-key drops (the stranger's chunks) and
//   bad-signature drops (the corrupted ones), skipped deltas until the next
//   keyframe after a corrupted chunk, and its decoder reported no error;
// - the tile shows the linked key's fingerprint, the same on camera and
//   display, and another one for the stranger.
// A second test removes VideoEncoder from the page: the tile says the
// browser cannot run it, and the still cameras run on.
// Both fail on any Content-Security-Policy violation, page error or console
// error.
//
// Needs the demo's release binary (FRAMESEAL_DEMO_BIN, default target/release/frameseal-demo),
// pkg/ built, and Debian's chromium and firefox-esr. Run: node --test tests/e2e/
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ENGINES } from './browsers.mjs';
import { ROOT, noProblems, openPage } from './demo-server.mjs';
import { installHueOf, withDemo } from './with-demo.mjs';

const WATCH_MS = Number(process.env.FRAMESEAL_E2E_VIDEO_WATCH_MS ?? 10_000);
const SAMPLE_MS = 40;
const FAULTS = ['mixup', 'corruption'];
const FINGERPRINT = /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/;
/** How much longer than WATCH_MS the test may watch for the evidence its assertions need. */
const EVIDENCE_TIMEOUT_MS = 90_000;

/**
 * Resolves once the video tile has settled: its state is one the page sets
 * after trying to start ('running', 'unsupported' or 'failed'). Waiting for
 * "not 'starting'" instead also matched before the page's script had set
 * any state at all (the element has none of its own).
 */
async function settledState(page) {
  await page.waitForFunction(() => ['running', 'unsupported', 'failed']
    .includes(document.getElementById('video-feed').dataset.state), null, { timeout: 60_000 });
  return page.evaluate(() => document.getElementById('video-feed').dataset.state);
}

/**
 * Runs in the page, after installHueOf: every `every` ms, reads the plain
 * points of both video screens and counts which camera's colour each
 * showed: 'linked', 'stranger', 'none' (blank, grey, black) or 'other' (any
 * other hue).
 */
function installVideoSampler({ every }) {
  const { __hueOf: hueOf, __hueOfColour: hueOfColour } = window;
  const tile = document.getElementById('video-feed');
  const points = JSON.parse(tile.dataset.plainPoints);
  const hues = [
    ['linked', hueOfColour(tile.dataset.linkedColour)],
    ['stranger', hueOfColour(tile.dataset.strangerColour)],
  ];
  const classify = (pixel) => {
    const h = hueOf(pixel);
    if (h === null) return 'none';
    for (const [who, hue] of hues) {
      if (Math.min(Math.abs(h - hue), 360 - Math.abs(h - hue)) < 40) return who; // the hues are ~140° apart
    }
    return 'other';
  };
  const screens = [['protected', '.video-gate-canvas'], ['unprotected', '.video-raw-canvas']].map(([name, sel]) => ({
    name, ctx: tile.querySelector(sel).getContext('2d'),
  }));
  const results = {};
  for (const { name } of screens) {
    results[name] = { samples: 0, linked: 0, stranger: 0, none: 0, other: 0, firstStranger: null, firstOther: null };
  }
  const started = performance.now();
  const timer = setInterval(() => {
    for (const { name, ctx } of screens) {
      const r = results[name];
      for (const [x, y] of points) {
        const pixel = ctx.getImageData(x, y, 1, 1).data;
        const seen = classify(pixel);
        r.samples += 1;
        r[seen] += 1;
        const at = { atMs: Math.round(performance.now() - started), x, y, rgb: [...pixel.slice(0, 3)] };
        if (seen === 'stranger') r.firstStranger ??= at;
        if (seen === 'other') r.firstOther ??= at;
      }
    }
  }, every);
  window.__frameseal_video = { results, stop: () => clearInterval(timer) };
}

function tileData(page) {
  return page.evaluate(() => {
    const tile = document.getElementById('video-feed');
    return {
      ...tile.dataset,
      dropped: Object.fromEntries([...tile.querySelectorAll('.video-drops .drop[data-reason]')]
        .map((li) => [li.dataset.reason, Number(li.dataset.count)])),
      chips: [...tile.querySelectorAll('.video-drops .drop')].map((li) => li.textContent).join(', '),
      cameraFp: tile.querySelector('.video-camera-fp').textContent,
      displayFp: tile.querySelector('.video-fp').textContent,
      strangerFp: tile.querySelector('.video-stranger-fp').textContent,
      rawCaption: tile.querySelector('.video-raw').textContent,
      live: tile.querySelector('.video-live').textContent,
    };
  });
}

/**
 * The mix-up run: the VideoGate screen against a plain VideoDecoder under
 * mixup + corruption. WebCodecs is a must in Chromium; a Firefox without it
 * (some builds leave VideoEncoder/VideoDecoder out; Debian's firefox-esr 153
 * has both on a secure origin such as 127.0.0.1) skips, saying so in the
 * test output.
 */
async function mixup(engine, t) {
  assert.ok(existsSync(path.join(ROOT, 'pkg', 'frameseal.js')), 'pkg/ is not built (./build.sh build)');
  await withDemo(engine, async ({ demo, browser }) => {
    const { page, problems } = await openPage(browser);
    await page.goto(demo.url);
    const missing = await page.evaluate(() => ['VideoEncoder', 'VideoDecoder'].filter((name) => !(name in window)));
    if (engine === 'firefox' && missing.length > 0) {
      t.skip(`this Firefox has no ${missing.join(' or ')} (WebCodecs): the VideoGate test runs in Chromium only`);
      return;
    }
    assert.deepEqual(missing, [], `${engine} has WebCodecs`);
    const state = await settledState(page);
    assert.equal(state, 'running', `the video tile runs (${await page.textContent('.video-note')})`);
    // Live: the gate has painted the linked camera's first pictures.
    await page.waitForFunction(() => document.querySelector('#video-feed .video-live').textContent === 'live',
      null, { timeout: 60_000 });

    await page.evaluate(installHueOf);
    await page.evaluate(installVideoSampler, { every: SAMPLE_MS });
    for (const fault of FAULTS) {
      await page.click(`label.switch:has(input[data-fault="${fault}"])`);
    }
    await page.waitForFunction(() => document.getElementById('relay-state').textContent === '2 faults on');
    const before = await tileData(page);

    const started = Date.now();
    // Watch for WATCH_MS at least (the screens must never show the
    // stranger in that time), and on until the page has the evidence the
    // assertions below need (a machine under load makes fewer frames).
    await sleep(WATCH_MS);
    await page.waitForFunction(({ before, minSamples }) => {
      const r = window.__frameseal_video.results;
      const tile = document.getElementById('video-feed');
      const count = (reason) => Number(tile.querySelector(`.video-drops .drop[data-reason="${reason}"]`)?.dataset.count ?? 0);
      return r.protected.samples > minSamples && r.unprotected.stranger > 0 && r.unprotected.linked > 0
        && Number(tile.dataset.deliveredStranger) > Number(before.deliveredStranger)
        && count('foreign-key') > (before.dropped['foreign-key'] ?? 0) && count('bad-signature') > 0
        && Number(tile.dataset.skippedUntilKeyframe) > 0 && Number(tile.dataset.drawn) > Number(before.drawn) + 10;
    }, { before, minSamples: (WATCH_MS / SAMPLE_MS) * 4 * 0.3 }, { timeout: EVIDENCE_TIMEOUT_MS, polling: 250 })
      .catch(() => {}); // the assertions below say what is missing
    const { results, accepted } = await page.evaluate(() => {
      window.__frameseal_video.stop();
      return { results: window.__frameseal_video.results, accepted: document.getElementById('video-feed').dataset.accepted };
    });
    const watched = Date.now() - started;
    // The counts as rendered after the watch: the next render (every 250 ms)
    // shows more accepted chunks than there were when it stopped.
    await page.waitForFunction((at) => Number(document.getElementById('video-feed').dataset.accepted) > Number(at),
      accepted, { timeout: 30_000 });
    const after = await tileData(page);

    console.log(`${engine}: watched ${(watched / 1000).toFixed(1)} s with ${FAULTS.join(' + ')} on`);
    console.log(`VideoGate: ${after.chips}; drawn ${after.drawn}, decoder errors ${after.decoderErrors}`);
    console.log(`unprotected: ${after.rawCaption} (the relay mixed in ${after.deliveredStranger} stranger chunks)`);
    for (const [name, r] of Object.entries(results)) {
      console.log(`  ${name}: ${r.samples} samples, linked ${r.linked}, stranger ${r.stranger}, ` +
        `other ${r.other}, blank ${r.none}; first stranger ${JSON.stringify(r.firstStranger)}, ` +
        `first other ${JSON.stringify(r.firstOther)}`);
    }

    await noProblems(page, problems);
    // The pictures.
    const p = results.protected;
    assert.ok(p.samples > (WATCH_MS / SAMPLE_MS) * 4 * 0.3, `enough samples of the protected screen (${p.samples})`);
    assert.equal(p.stranger, 0, `the protected screen showed the stranger: ${JSON.stringify(p.firstStranger)}`);
    assert.equal(p.other, 0, `the protected screen showed a glitch: ${JSON.stringify(p.firstOther)}`);
    assert.ok(p.linked > p.samples * 0.9, `the protected screen showed the linked camera (${p.linked}/${p.samples})`);
    const u = results.unprotected;
    assert.ok(u.stranger > 0, 'the unprotected screen never showed the stranger: the mix-up did not fire');
    assert.ok(u.linked > 0, 'the unprotected screen showed the linked camera too');
    // The gate's counts.
    assert.ok(Number(after.deliveredStranger) > Number(before.deliveredStranger), 'the relay mixed in stranger chunks');
    assert.ok(after.dropped['foreign-key'] > (before.dropped['foreign-key'] ?? 0), 'foreign-key drops counted');
    assert.ok(after.dropped['bad-signature'] > 0, 'the corrupted chunks were dropped as bad-signature');
    assert.ok(Number(after.skippedUntilKeyframe) > 0, 'after a corrupted chunk, deltas were skipped until a keyframe');
    assert.equal(after.decoderErrors, '0', 'the VideoGate decoder reported no error');
    assert.equal(after.gateErrors, '0', 'VideoGate.push never threw');
    assert.ok(Number(after.drawn) > Number(before.drawn) + 10, `the gate kept painting (${before.drawn} -> ${after.drawn})`);
    // The tile's keys.
    assert.match(after.cameraFp, FINGERPRINT);
    assert.equal(after.displayFp, after.cameraFp, 'the display is linked to the camera it shows');
    assert.match(after.strangerFp, FINGERPRINT);
    assert.notEqual(after.strangerFp, after.cameraFp);
    // The page's totals include the video camera's drops.
    const total = Number(await page.evaluate(() => document.querySelector('#reasons li[data-reason="bad-signature"]').dataset.count));
    assert.ok(total >= after.dropped['bad-signature'], 'the totals include the video camera');
  });
}

/** The tile in a page without VideoEncoder. */
async function withoutEncoder(engine) {
  await withDemo(engine, async ({ demo, browser }) => {
    const info = await (await fetch(`${demo.origin}/api/cameras`)).json();
    const { page, problems } = await openPage(browser);
    await page.addInitScript(() => { delete window.VideoEncoder; });
    await page.goto(demo.url);
    assert.equal(await settledState(page), 'unsupported');
    const visible = (selector) => page.evaluate((s) => document.querySelector(s).checkVisibility(), selector);
    assert.ok(await visible('#video-feed .video-note'), 'the message is shown');
    assert.match(await page.textContent('#video-feed .video-note'), /no WebCodecs/);
    assert.ok(!(await visible('#video-feed .video-body')), 'no empty screens');
    await page.waitForFunction((count) => document.querySelectorAll('.feed-live.pill-live').length === count,
      info.cameras.length, { timeout: 60_000 });
    await noProblems(page, problems);
  });
}

for (const engine of ENGINES) {
  describe(engine, () => {
    test('frameseal demo video tile: VideoGate shows only the linked VP8 camera under the mix-up', {
      timeout: WATCH_MS + EVIDENCE_TIMEOUT_MS + 180_000,
    }, (t) => mixup(engine, t));

    test('frameseal demo video tile: without VideoEncoder the tile says so and the stills run on', {
      timeout: 120_000,
    }, () => withoutEncoder(engine));
  });
}
