// End to end: `frameseal demo` + the page in headless Chromium.
//
// Starts the demo server on a free port, opens the page, switches on the
// incident's faults (cache mix-up, loss, reordering, duplication) with the
// page's own switches, and for WATCH_MS samples the background pixels of
// every tile many times a second. Each camera paints its frames in its own
// colour, at points the server names (/api/cameras → picture.plainPoints), so
// a sample says which camera's picture is on a canvas. Asserts that:
// - every protected (FrameGate) tile only ever showed its own camera;
// - every unprotected tile did show other cameras (the fault fired);
// - the page's counters show foreign-key, stale and replayed drops.
//
// Needs the release binary (FRAMESEAL_BIN, default target/release/frameseal),
// pkg/ built, and Debian's chromium. Run: node --test tests/e2e/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.FRAMESEAL_BIN
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'release', 'frameseal');
const WATCH_MS = Number(process.env.FRAMESEAL_E2E_WATCH_MS ?? 22_000);
const SAMPLE_MS = 40;
const INCIDENT = ['mixup', 'loss', 'reordering', 'duplication'];
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Starts `frameseal demo --port 0`; resolves once it prints its URL. */
function startDemo() {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['demo', '--port', '0', '--root', ROOT], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`frameseal demo printed no URL within 30 s:\n${out}${err}`));
    }, 30_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\/www\//);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[0], origin: `http://127.0.0.1:${m[1]}` });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`frameseal demo exited with ${code}:\n${out}${err}`));
    });
  });
}

/**
 * Runs in the page: every SAMPLE_MS, reads the plain points of every tile
 * and counts, per camera and tile, which camera's colour each showed.
 */
function installSampler({ cameras, points, every }) {
  const hueOf = ([r, g, b]) => {
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    if (max < 24 || (max - min) / max < 0.3) return null; // blank, grey or black
    const d = max - min;
    let h;
    if (max === r) h = 60 * (((g - b) / d) % 6);
    else if (max === g) h = 60 * ((b - r) / d + 2);
    else h = 60 * ((r - g) / d + 4);
    return (h + 360) % 360;
  };
  const hues = cameras.map((c) => ({
    id: c.id,
    hue: hueOf([1, 3, 5].map((i) => parseInt(c.colour.slice(i, i + 2), 16))),
  }));
  const classify = (pixel) => {
    const h = hueOf(pixel);
    if (h === null) return 'none';
    let best = 'none';
    let bestDistance = 40; // degrees; the cameras' hues are ~80° or more apart
    for (const c of hues) {
      const d = Math.min(Math.abs(h - c.hue), 360 - Math.abs(h - c.hue));
      if (d < bestDistance) { best = c.id; bestDistance = d; }
    }
    return best;
  };
  const results = {};
  const tiles = [];
  for (const c of cameras) {
    results[c.id] = {};
    for (const [tile, selector] of [['protected', '.gate-canvas'], ['unprotected', '.raw-canvas']]) {
      const canvas = document.querySelector(`[data-camera="${c.id}"] ${selector}`);
      results[c.id][tile] = { samples: 0, own: 0, none: 0, foreign: {}, firstForeign: null };
      tiles.push({ id: c.id, tile, ctx: canvas.getContext('2d') });
    }
  }
  const timer = setInterval(() => {
    for (const { id, tile, ctx } of tiles) {
      const r = results[id][tile];
      for (const [x, y] of points) {
        const seen = classify(ctx.getImageData(x, y, 1, 1).data);
        r.samples += 1;
        if (seen === id) r.own += 1;
        else if (seen === 'none') r.none += 1;
        else {
          r.foreign[seen] = (r.foreign[seen] ?? 0) + 1;
          r.firstForeign ??= { at: performance.now(), x, y, seen };
        }
      }
    }
  }, every);
  window.__frameseal_e2e = { results, stop: () => clearInterval(timer) };
}

test('frameseal demo: protected tiles show only their own camera under the incident faults', {
  timeout: WATCH_MS + 120_000,
}, async () => {
  assert.ok(existsSync(BIN), `no frameseal binary at ${BIN} (cargo build --release --bin frameseal)`);
  assert.ok(existsSync(path.join(ROOT, 'pkg', 'frameseal.js')), 'pkg/ is not built (./build.sh build)');
  const demo = await startDemo();
  let browser;
  try {
    const info = await (await fetch(`${demo.origin}/api/cameras`)).json();
    assert.ok(info.cameras.length >= 3, 'at least three cameras');

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1320, height: 1000 } });
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    await page.goto(demo.url);
    await page.waitForFunction(
      (n) => document.querySelectorAll('.feed-live.pill-live').length === n,
      info.cameras.length, { timeout: 30_000 });

    await page.evaluate(installSampler, {
      cameras: info.cameras, points: info.picture.plainPoints, every: SAMPLE_MS,
    });
    for (const fault of INCIDENT) {
      await page.locator('label.switch', { has: page.locator(`input[data-fault="${fault}"]`) }).click();
    }
    await page.waitForFunction(() => document.getElementById('relay-state').textContent === '4 faults on');
    const faults = await (await fetch(`${demo.origin}/api/faults`)).json();
    for (const [name, on] of Object.entries(faults)) {
      assert.equal(on, INCIDENT.includes(name), `server: fault ${name}`);
    }

    const started = Date.now();
    await page.waitForTimeout(WATCH_MS);
    const results = await page.evaluate(() => {
      window.__frameseal_e2e.stop();
      return window.__frameseal_e2e.results;
    });
    const watched = Date.now() - started;
    const totals = await page.$$eval('#reasons li', (lis) =>
      Object.fromEntries(lis.map((li) => [li.dataset.reason, Number(li.dataset.count)])));
    const accepted = await page.$eval('#c-accepted', (e) => e.textContent);
    const perCamera = await page.$$eval('.feed', (feeds) => feeds.map((f) => ({
      camera: f.dataset.camera,
      chips: [...f.querySelectorAll('.drop')].map((c) => c.textContent).join(', '),
    })));

    console.log(`watched ${(watched / 1000).toFixed(1)} s with ${INCIDENT.join(' + ')} on`);
    console.log(`accepted ${accepted}; dropped by reason (all cameras): ${JSON.stringify(
      Object.fromEntries(Object.entries(totals).filter(([, n]) => n > 0)))}`);
    for (const { camera, chips } of perCamera) console.log(`  ${camera}: ${chips}`);
    for (const [id, tiles] of Object.entries(results)) {
      for (const [tile, r] of Object.entries(tiles)) {
        console.log(`  ${id} ${tile}: ${r.samples} samples, own ${r.own}, blank ${r.none}, ` +
          `foreign ${JSON.stringify(r.foreign)}`);
      }
    }

    assert.deepEqual(problems, [], 'no page errors, no CSP violations');
    for (const [id, tiles] of Object.entries(results)) {
      const p = tiles.protected;
      assert.deepEqual(p.foreign, {}, `protected ${id} showed another camera: ` +
        JSON.stringify(p.firstForeign));
      assert.ok(p.own > p.samples * 0.8, `protected ${id} showed its own camera most of the time`);
      const u = tiles.unprotected;
      const foreign = Object.values(u.foreign).reduce((a, b) => a + b, 0);
      assert.ok(foreign > 0, `unprotected ${id} never showed another camera: the mix-up did not fire`);
      assert.ok(u.own > 0, `unprotected ${id} showed its own camera too`);
    }
    for (const reason of ['foreign-key', 'stale', 'replayed']) {
      assert.ok(totals[reason] > 0, `the counters show ${reason} drops`);
    }
  } finally {
    await browser?.close();
    demo.proc.kill();
  }
});
