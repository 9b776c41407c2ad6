// Shared by the live H.264 tile tests (live-mse, live-hls): the live page of
// frameseal-demo (www/live.html: live.js), the relay's fault switches, a
// tile's figures, and a pixel sampler for its two <video> elements.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, openPage } from './demo-server.mjs';
import { installHueOf } from './with-demo.mjs';

/** Every fault the live streams honour, all off. */
export const LIVE_FAULTS = ['mixup', 'replay', 'loss', 'reordering', 'tamper', 'oldparts', 'blackhole'];

/**
 * Opens www/live.html on `demo` in `browser` and waits until tile `kind`
 * ('mse' or 'hls') has settled: running, or saying why it cannot run.
 * Returns `{ page, problems, state, note }`.
 */
export async function openLivePage(browser, demo, kind, before = async () => {}) {
  assert.ok(existsSync(path.join(ROOT, 'pkg', 'frameseal.js')), 'pkg/ is not built (./build.sh build)');
  const { page, problems } = await openPage(browser);
  await before(page);
  await page.goto(`${demo.origin}/www/live.html`);
  await page.waitForFunction((id) => ['running', 'failed', 'unavailable']
    .includes(document.getElementById(id)?.dataset.state), `live-${kind}`, { timeout: 60_000 });
  const { state, note } = await page.evaluate((id) => {
    const tile = document.getElementById(id);
    return { state: tile.dataset.state, note: tile.querySelector('.live-note').textContent };
  }, `live-${kind}`);
  return { page, problems, state, note };
}

/** Switches the relay's faults: `on` (names) on, every other live fault off. */
export async function setFaults(page, on) {
  const body = Object.fromEntries(LIVE_FAULTS.map((f) => [f, on.includes(f)]));
  const state = await page.evaluate((b) => fetch('/api/faults', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(b),
  }).then((r) => r.json()), body);
  for (const fault of LIVE_FAULTS) assert.equal(state[fault], on.includes(fault), `relay: fault ${fault}`);
}

/** Tile `kind`'s figures: the gate's stats, the relay's injected counts (MSE), both videos' state. */
export function tileData(page, kind) {
  return page.evaluate((id) => {
    const tile = document.getElementById(id);
    const video = (sel) => {
      const v = tile.querySelector(sel);
      const buffered = [];
      for (let i = 0; i < v.buffered.length; i++) buffered.push([v.buffered.start(i), v.buffered.end(i)]);
      return {
        currentTime: v.currentTime, readyState: v.readyState, live: v.getAttribute('data-frameseal-live'),
        paused: v.paused, error: v.error?.code ?? null, buffered,
      };
    };
    return {
      stats: JSON.parse(tile.dataset.stats ?? '{}'),
      injected: JSON.parse(tile.dataset.injected ?? '{}'),
      gateErrors: Number(tile.dataset.gateErrors ?? 0),
      errors: JSON.parse(tile.dataset.errors ?? '[]'),
      gate: video('.live-gate-video'),
      raw: video('.live-raw-video'),
    };
  }, `live-${kind}`);
}

/**
 * Runs in the page (after installHueOf): every `every` ms, draws both
 * videos of tile `id` to a small canvas (drawImage) and reads the tile's
 * plain points, counting whose picture each showed: 'linked' (the linked
 * home's colour), 'other' (the other home's), 'none' (black, grey: no
 * picture yet), 'glitch' (any other hue). Only a video with a picture
 * (readyState >= 2) is sampled.
 */
function installLiveSampler({ id, every }) {
  const { __hueOf: hueOf, __hueOfColour: hueOfColour } = window;
  const tile = document.getElementById(id);
  const points = JSON.parse(tile.dataset.plainPoints);
  const hues = [['linked', hueOfColour(tile.dataset.linkedColour)], ['other', hueOfColour(tile.dataset.otherColour)]];
  const classify = (pixel) => {
    const h = hueOf(pixel);
    if (h === null) return 'none';
    for (const [who, hue] of hues) {
      if (Math.min(Math.abs(h - hue), 360 - Math.abs(h - hue)) < 40) return who; // the hues are ~160° apart
    }
    return 'glitch';
  };
  const SCALE = 10; // 640×360 → 64×36
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 36;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const videos = [['gate', tile.querySelector('.live-gate-video')], ['raw', tile.querySelector('.live-raw-video')]];
  const results = {};
  for (const [name] of videos) results[name] = { samples: 0, linked: 0, other: 0, none: 0, glitch: 0, firstOther: null, firstGlitch: null };
  const started = performance.now();
  const timer = setInterval(() => {
    for (const [name, video] of videos) {
      if (video.readyState < 2) continue;
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
      const r = results[name];
      for (const [x, y] of points) {
        const pixel = ctx.getImageData(Math.floor(x / SCALE), Math.floor(y / SCALE), 1, 1).data;
        const seen = classify(pixel);
        r.samples += 1;
        r[seen] += 1;
        const at = { atMs: Math.round(performance.now() - started), t: video.currentTime, x, y, rgb: [...pixel.slice(0, 3)] };
        if (seen === 'other') r.firstOther ??= at;
        if (seen === 'glitch') r.firstGlitch ??= at;
      }
    }
  }, every);
  window.__frameseal_live_sampler = { results, stop: () => clearInterval(timer) };
}

/** Starts sampling tile `kind`'s videos every `every` ms. */
export async function startSampler(page, kind, every) {
  await page.evaluate(installHueOf);
  await page.evaluate(installLiveSampler, { id: `live-${kind}`, every });
}

/** The sampler's counts so far. */
export function samples(page) {
  return page.evaluate(() => window.__frameseal_live_sampler.results);
}

/** Waits until the gated video of tile `kind` has played `seconds` past where it is now. */
export async function gateAdvances(page, kind, seconds, timeout = 30_000) {
  const { gate } = await tileData(page, kind);
  await page.waitForFunction(({ id, from, seconds: s }) => {
    const v = document.getElementById(id).querySelector('.live-gate-video');
    return v.currentTime > from + s;
  }, { id: `live-${kind}`, from: gate.currentTime, seconds }, { timeout, polling: 100 })
    .catch(async (e) => {
      // What the element was doing when it did not advance (paused, error, buffered ranges).
      throw new Error(`${e.message}; from ${gate.currentTime}; tile ${JSON.stringify(await tileData(page, kind))}`);
    });
  return gate.currentTime;
}
