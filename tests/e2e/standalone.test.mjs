// End to end: the standalone demo (www/standalone.html: cameras, relay and
// displays all in one tab) in headless Chromium and Firefox (browsers.mjs),
// served by frameseal-demo under its strict CSP.
//
// Switches on all four of the page's relay faults (cache mix-up, replay,
// stale cache, corruption) and samples a point of each display that the
// Nursery camera paints blue and the Neighbour camera brown, every
// SAMPLE_MS, until the counters show a drop for every fault. Asserts that:
// - the protected display only ever showed the Nursery camera, and did
//   show it;
// - the unprotected display did show the Neighbour's picture (the mix-up
//   fired), and its caption says so;
// - the counters show foreign-key, replayed, stale and bad-signature drops;
//   their rows carry the package's reason names and meanings
//   (dropReasons()), the page's four first, then the others in check order;
// - no CSP violation, page error or console error.
//
// Needs the demo's release binary (DEMO_BIN), pkg/ built, and Debian's chromium
// and firefox-esr.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ENGINES } from './browsers.mjs';
import { ROOT, noProblems, openPage } from './demo-server.mjs';
import { withDemo } from './with-demo.mjs';

const SAMPLE_MS = 40;
const FAULTS = ['mixup', 'replay', 'stale', 'corrupt'];
const FIRST = ['foreign-key', 'replayed', 'stale', 'bad-signature']; // www/standalone.js ALWAYS_SHOWN
/** The stale fault serves frames only once the cache holds some over 10.5 s old. */
const EVIDENCE_TIMEOUT_MS = 90_000;
// Bottom left of the 640x360 picture: the Nursery's floor (#0a1430) or the
// Neighbour's road (#1a0b05); no overlay, car or star ever reaches it.
const POINTS = [[40, 340], [20, 350]];

/**
 * Runs in the page: every `every` ms, reads POINTS of both displays and
 * counts which camera each showed ('nursery': blue, 'neighbour': red-brown,
 * 'none': neither, e.g. before the first picture).
 */
function installSampler({ points, every }) {
  const screens = ['protected', 'unprotected'].map((name) => ({
    name, ctx: document.getElementById(`screen-${name}`).getContext('2d'),
  }));
  const results = {};
  for (const { name } of screens) results[name] = { nursery: 0, neighbour: 0, none: 0 };
  const timer = setInterval(() => {
    for (const { name, ctx } of screens) {
      for (const [x, y] of points) {
        const [r, , b] = ctx.getImageData(x, y, 1, 1).data;
        const seen = b - r > 15 ? 'nursery' : r - b > 10 ? 'neighbour' : 'none';
        results[name][seen] += 1;
      }
    }
  }, every);
  window.__standalone = { results, stop: () => clearInterval(timer) };
}

/** The standalone page under all four of its relay faults. */
async function standalone(engine) {
  assert.ok(existsSync(path.join(ROOT, 'pkg', 'frameseal.js')), 'pkg/ is not built (./build.sh build)');
  await withDemo(engine, async ({ demo, browser }) => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${demo.origin}/www/standalone.html`);
    await page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: 60_000 });
    await page.evaluate(installSampler, { points: POINTS, every: SAMPLE_MS });
    for (const fault of FAULTS) {
      await page.click(`label.switch:has(input[data-fault="${fault}"])`);
    }
    await page.waitForFunction(() => document.getElementById('relay-state').textContent === '4 faults on');

    await page.waitForFunction((first) => {
      const { results } = window.__standalone;
      const count = (reason) => Number(document.querySelector(`#reasons li[data-reason="${reason}"]`).dataset.count);
      return first.every((reason) => count(reason) > 0)
        && results.unprotected.neighbour > 0 && results.protected.nursery > 0;
    }, FIRST, { timeout: EVIDENCE_TIMEOUT_MS, polling: 250 })
      .catch(() => {}); // the assertions below say what is missing
    const results = await page.evaluate(() => {
      window.__standalone.stop();
      return window.__standalone.results;
    });
    const rows = await page.evaluate(() => [...document.querySelectorAll('#reasons li')].map((li) => ({
      reason: li.dataset.reason,
      meaning: li.querySelector('.reason-desc').textContent,
      count: Number(li.dataset.count),
    })));
    const reasons = await page.evaluate(async () => (await import('/pkg/frameseal.js')).dropReasons());
    const caption = await page.textContent('#unprotected-caption');
    const log = await page.evaluate(() => [...document.querySelectorAll('#log li')].map((li) => li.textContent));
    console.log(`${engine}: samples: ${JSON.stringify(results)}`);
    console.log(`counters: ${JSON.stringify(Object.fromEntries(rows.map((r) => [r.reason, r.count])))}`);
    console.log(`unprotected: ${caption}`);

    await noProblems(page, problems);
    assert.equal(results.protected.neighbour, 0, 'the protected display showed the Neighbour camera');
    assert.ok(results.protected.nursery > 0, 'the protected display showed the Nursery camera');
    assert.ok(results.unprotected.neighbour > 0, 'the unprotected display never showed the Neighbour: the mix-up did not fire');
    assert.match(caption, /^Drew [\d,]+ frames, including [\d,]+ from the Neighbour's camera/);
    for (const reason of FIRST) {
      assert.ok(rows.find((r) => r.reason === reason).count > 0, `the counters show ${reason} drops`);
    }
    const order = [...FIRST, ...reasons.map((r) => r.reason).filter((r) => !FIRST.includes(r))];
    assert.deepEqual(rows.map((r) => r.reason), order, 'the page\'s four first, then the rest in check order');
    for (const { reason, meaning } of reasons) {
      assert.equal(rows.find((r) => r.reason === reason).meaning, meaning, `${reason}: the package's meaning`);
    }
    assert.ok(log.length > 0 && log.some((entry) => /accepted · drawn/.test(entry)), 'the log lists verdicts');
  });
}

for (const engine of ENGINES) {
  describe(engine, () => {
    test('standalone demo: the protected display shows only the linked camera under every relay fault', {
      timeout: 180_000,
    }, () => standalone(engine));
  });
}
