// FragmentFilter and MseGate on 1080p30 H.264 (issue 17, item 6):
//   node bench/mse.mjs [--pkg DIR] [--profile]   (needs ffmpeg with libx264, pkg/ built, the CLI)
// prints a table:
// - FragmentFilter.filter in Node (the modern build): MB/s and samples/s
//   over a 10 s 1080p30 stream, one fragment per frame and one per GOP;
// - MseGate in headless Chromium: the renderer main thread's CPU time
//   (ThreadTime, as Chromium's Performance domain counts it) while 1 and
//   16 gates each play that stream in real time, as a share of one core,
//   in steady state (after three passes that let V8 optimise the module's
//   code); beside it a plain MediaSource player, the browser's and the
//   harness's own share (the gate's own is the difference). Demuxing and
//   decoding run off the main thread and are not counted.
// The stream: ffmpeg testsrc2 1920x1080 at 30 fps, libx264 veryfast at
// 6 Mbit/s, a keyframe every 2 s, every access unit sealed in-band by
// `frameseal seal --codec h264`, remuxed by ffmpeg into fMP4. Cached in
// target/bench-mse/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'bench-mse');
const TIMESTAMP_US = 1_780_000_000_000_000;
const SECONDS = 10;

function run(cmd, args, opts = {}) {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], ...opts });
}

function makeStream() {
  mkdirSync(CACHE, { recursive: true });
  const done = path.join(CACHE, 'frame.mp4');
  if (existsSync(done)) return;
  console.error('bench/mse: encoding 10 s of 1080p30 H.264 (ffmpeg, once) ...');
  const ff = (...a) => run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...a]);
  ff('-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30`, '-frames:v', String(30 * SECONDS),
    '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '6M',
    '-x264-params', 'keyint=60:min-keyint=60:scenecut=0:bframes=0', '-f', 'h264', path.join(CACHE, 'raw.h264'));
  const cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'release', 'frameseal');
  if (!existsSync(cli)) run('cargo', ['build', '-q', '--release', '-p', 'frameseal-cli'], { cwd: ROOT });
  run(cli, ['keygen', 'camera'], { cwd: CACHE });
  run(cli, ['seal', '--codec', 'h264', '--key', 'camera.key', '--timestamp-us', String(TIMESTAMP_US),
    'raw.h264', 'sealed.h264'], { cwd: CACHE });
  for (const [name, flags] of [['gop', '+frag_keyframe'], ['frame', '+frag_every_frame']]) {
    ff('-r', '30', '-f', 'h264', '-i', path.join(CACHE, 'sealed.h264'), '-c:v', 'copy',
      '-movflags', `${flags}+empty_moov+default_base_moof`, '-f', 'mp4', path.join(CACHE, `${name}.mp4`));
  }
}

/** init (ftyp+moov) and moof+mdat pairs of a file. */
function split(file) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let init = null;
  const segments = [];
  for (let at = 0; at < file.length;) {
    const size = view.getUint32(at);
    const kind = String.fromCharCode(...file.subarray(at + 4, at + 8));
    if (kind === 'moov') init = file.subarray(0, at + size);
    if (kind === 'moof') segments.push([at, at + size]);
    if (kind === 'mdat') segments[segments.length - 1][1] = at + size;
    at += size;
  }
  return { init, segments: segments.map(([a, b]) => file.slice(a, b)) };
}

const key = () => {
  const line = readFileSync(path.join(CACHE, 'camera.pub'), 'utf8').trim().split(/\s+/)[1];
  return Uint8Array.from(line.match(/../g), (h) => parseInt(h, 16));
};

async function filterInNode() {
  const m = await import(path.join(ROOT, 'pkg/frameseal.js'));
  m.initSync({ module: readFileSync(path.join(ROOT, 'pkg/frameseal_bg.wasm')) });
  const rows = [];
  for (const name of ['frame', 'gop']) {
    const { init, segments } = split(new Uint8Array(readFileSync(path.join(CACHE, `${name}.mp4`))));
    const bytes = segments.reduce((n, s) => n + s.length, 0);
    const times = [];
    let samples = 0;
    for (let i = 0; i < 7; i++) {
      const f = new m.FragmentFilter(key(), { now: () => TIMESTAMP_US / 1000 });
      f.init(init);
      const t0 = performance.now();
      let kept = 0;
      for (const s of segments) {
        const r = f.filter(s);
        for (const x of r.results) if (x.ok && x.kept) kept++;
      }
      times.push(performance.now() - t0);
      samples = kept;
      f.free();
    }
    times.sort((a, b) => a - b);
    const ms = times[3];
    if (samples !== 30 * SECONDS) throw new Error(`${name}: ${samples} samples kept, expected ${30 * SECONDS}`);
    rows.push([`FragmentFilter.filter, one fragment per ${name === 'gop' ? 'GOP' : 'frame'} (${segments.length})`,
      `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`, `${(samples / (ms / 1000)).toFixed(0)} samples/s`,
      `${(bytes / 1e6).toFixed(1)} MB, median of 7`]);
  }
  return rows;
}

async function gatesInChromium() {
  const { launch } = await import('../tests/e2e/browsers.mjs');
  const { startPkgServer } = await import('../tests/e2e/demo-server.mjs');
  const { init, segments } = split(new Uint8Array(readFileSync(path.join(CACHE, 'frame.mp4'))));
  const all = new Uint8Array(segments.reduce((n, s) => n + s.length, 0));
  const offsets = [];
  let at = 0;
  for (const s of segments) { all.set(s, at); offsets.push([at, at + s.length]); at += s.length; }
  const page = `<!doctype html><meta charset="utf-8"><body><script type="module">
import initWasm, { FragmentFilter, MseGate } from '/pkg/frameseal.js';
await initWasm();
// The same feed appended by a plain MediaSource player (no frameseal), for
// the browser's own share of the main thread (appendBuffer's copy, events).
function plainPlayer(v, mime) {
  const source = new MediaSource();
  v.src = URL.createObjectURL(source);
  const queue = [];
  let buffer = null;
  const pump = () => { if (buffer && !buffer.updating && queue.length) buffer.appendBuffer(queue.shift()); };
  source.addEventListener('sourceopen', () => {
    buffer = source.addSourceBuffer(mime);
    buffer.addEventListener('updateend', pump);
    pump();
  });
  return { append(bytes) { queue.push(bytes); pump(); return Promise.resolve({ appended: 1 }); },
    stats: () => ({ drawn: 0 }), close() {} };
}
let list, init, all, fps, offsets;
window.prepare = async (gates, keyHex, offsetList, framesPerSecond, nowMs, plain, mime) => {
  offsets = offsetList;
  fps = framesPerSecond;
  const key = Uint8Array.from(keyHex.match(/../g), (h) => parseInt(h, 16));
  init = new Uint8Array(await (await fetch('/init')).arrayBuffer());
  all = new Uint8Array(await (await fetch('/media')).arrayBuffer());
  // Steady state: V8 runs WebAssembly in its baseline tier first and
  // optimises hot functions after a few hundred calls; a dashboard plays
  // for hours. Three passes over the stream first (the code is shared by
  // every gate of the page).
  for (let pass = 0; pass < 3; pass++) {
    const f = new FragmentFilter(key, { now: () => nowMs });
    f.init(init);
    for (const [a, b] of offsets) f.filter(all.subarray(a, b));
    f.free();
  }
  list = [];
  for (let i = 0; i < gates; i++) {
    const v = document.createElement('video');
    v.muted = true; v.width = 64; v.height = 36;
    document.body.append(v);
    list.push({ v, g: plain ? plainPlayer(v, mime) : new MseGate(v, key, { now: () => nowMs, stallAfterMs: null }) });
  }
};
window.measure = async () => {
  let busy = 0, appended = 0;
  const pending = [];
  const start = performance.now();
  for (let i = 0; i < offsets.length; i++) {
    const due = start + (i * 1000) / fps;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const frame = all.subarray(offsets[i][0], offsets[i][1]);
    for (const { v, g } of list) {
      const bytes = i === 0 ? new Uint8Array([...init, ...frame]) : frame;
      const t0 = performance.now();
      const p = g.append(bytes);
      busy += performance.now() - t0;
      pending.push(p.then((r) => { appended += r.appended; }));
      if (i === 0) v.play().catch(() => {});
    }
  }
  await Promise.all(pending);
  const wall = performance.now() - start;
  await new Promise((r) => setTimeout(r, 500));
  const drawn = list.reduce((n, { g }) => n + g.stats().drawn, 0);
  for (const { g } of list) g.close();
  return { busy, wall, appended, drawn };
};
window.ready = true;
</script>`;
  const server = await startPkgServer(page, PKG, {
    '/init': { type: 'application/octet-stream', body: Buffer.from(init) },
    '/media': { type: 'application/octet-stream', body: Buffer.from(all) },
  });
  const browser = await launch('chromium');
  const rows = [];
  try {
    const mime = await (async () => {
      const m = await import(path.join(ROOT, 'pkg/frameseal.js'));
      m.initSync({ module: readFileSync(path.join(ROOT, 'pkg/frameseal_bg.wasm')) });
      const f = new m.FragmentFilter(key());
      f.init(init);
      return f.mimeType();
    })();
    const variants = PROFILE ? [[1, 'gate']] : [[1, 'plain'], [1, 'gate'], [16, 'plain'], [16, 'gate']];
    for (const [gates, mode] of variants) {
      const p = await browser.newPage();
      // The renderer's main thread as Chromium counts it (Performance
      // domain): all of it, the harness's pacing, the players' events,
      // the gates' timers and promise callbacks included, not only the
      // time inside append().
      const raw = p.driver.page; // Chromium's Playwright page (tests/e2e/browsers.mjs)
      const cdp = await raw.context().newCDPSession(raw);
      await cdp.send('Performance.enable');
      const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
      await p.goto(`http://127.0.0.1:${server.address().port}/`);
      await p.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
      const keyHex = Buffer.from(key()).toString('hex');
      await p.evaluate(([n, k, o, ms, pl, mt]) => window.prepare(n, k, o, 30, ms, pl, mt),
        [gates, keyHex, offsets, TIMESTAMP_US / 1000, mode === 'plain', mime]);
      if (PROFILE) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
        await cdp.send('Profiler.start');
      }
      const before = await metrics();
      const r = await p.evaluate(() => window.measure());
      const after = await metrics();
      if (PROFILE) printProfile((await cdp.send('Profiler.stop')).profile);
      // s, over the wall below plus its 0.5 s settle: the main thread's CPU
      // time (ThreadTime), and its tasks' wall time (TaskDuration, which
      // also counts a task's time preempted by other threads).
      const cpu = after.ThreadTime - before.ThreadTime;
      const tasks = after.TaskDuration - before.TaskDuration;
      if (r.appended !== gates * segments.length) throw new Error(`${gates} gates (${mode}): ${r.appended} samples appended`);
      const name = mode === 'plain' ? 'plain MediaSource player (no frameseal)' : 'MseGate';
      const share = (seconds) => `${((100 * seconds * 1000) / (r.wall + 500)).toFixed(2)} %`;
      rows.push([`${name}, main thread, ${gates} × 1080p30 H.264 (one fragment per frame)`,
        `${share(cpu)} of a core`,
        `${(r.busy / (gates * segments.length)).toFixed(3)} ms inside append()`,
        `the renderer main thread's CPU time (Chromium's ThreadTime) over the wall time; its tasks' wall time ${share(tasks)}; inside append() alone ${((100 * r.busy) / r.wall).toFixed(2)} %${mode === 'plain' ? '' : `; ${r.drawn} pictures presented`}`]);
      await p.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  return rows;
}

/**
 * `--profile`: the main thread's JavaScript and WebAssembly by self time
 * (CDP Profiler, one MseGate), the top 30; build the package with names
 * kept (e.g. `--pkg` a `wasm-pack build --profiling` output) to see Rust's.
 */
function printProfile(profile) {
  if (process.env.MSE_PROFILE_OUT) writeFileSync(process.env.MSE_PROFILE_OUT, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (const id of profile.samples) {
    const { functionName, url } = byId.get(id).callFrame;
    const k = `${functionName || '(anonymous)'} ${url.split('/').pop()}`.slice(0, 110);
    self.set(k, (self.get(k) ?? 0) + 1);
    total += 1;
  }
  console.log(`main thread samples: ${total} (100 µs each)`);
  for (const [k, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`${((100 * n) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
}

const PROFILE = process.argv.includes('--profile');
const PKG = process.argv.includes('--pkg') ? path.resolve(process.argv[process.argv.indexOf('--pkg') + 1]) : path.join(ROOT, 'pkg');
makeStream();
if (PROFILE) {
  await gatesInChromium();
  process.exit(0);
}
const rows = [...await filterInNode(), ...await gatesInChromium()];
console.log('| measure | result | per unit | notes |');
console.log('|---|---:|---:|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
