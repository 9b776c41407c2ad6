// Drives `./build.sh bench`: serves the repo on 127.0.0.1, runs
// bench/bench.mjs in headless Chromium (playwright-core, Debian's chromium),
// merges the native rows and the package sizes, and prints ONE markdown
// table (plus the lines that say when, where and under what load).
//
//   node bench/run.mjs [--hooks DIR] [--pkg DIR] [--native FILE.json] [--fixtures DIR] [--out FILE.md] [--quick] [--cold-only] [--tables-only]
//
// --hooks:  a package built with `--features bench` (BenchKey), served at /hooks/
// --pkg:    the package under test (default: pkg/, what `./build.sh build` made)
// --native: the JSON `cargo run --release --example bench_native -- --json` printed
// --fixtures: a directory with x264-720p.h264 (scripts/bench.sh), served at
//           /fixtures/ for the verifyUnit and sealUnit rows (left out without it)
// --out:    also write the table there (bench/RESULTS.md keeps the committed one)
// --quick:  frameseal rows, dashboard and WebCrypto only (comparing builds of pkg/)
// --cold-only: only the cold-start rows (bench/cold.mjs: navigation to the
//           first verified picture drawn, modern, mvp and JS builds)
// --tables-only: only the `tables` option's rows (bench/tables.mjs: 1 KiB
//           verify with 'fast' and 'compact' against WebCrypto, the raw
//           check of each when --hooks is given, memory per verifier)

import { createServer } from 'node:http';
import { readFileSync, writeFileSync, statSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { coldStart } from './cold.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function args() {
  const usage = 'usage: node bench/run.mjs [--hooks DIR] [--pkg DIR] [--native FILE] [--fixtures DIR] [--out FILE] [--quick] [--cold-only] [--tables-only]';
  const out = { quick: false, coldOnly: false, tablesOnly: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (key === 'quick') out.quick = true;
    else if (key === 'cold-only') out.coldOnly = true;
    else if (key === 'tables-only') out.tablesOnly = true;
    else if (['hooks', 'pkg', 'native', 'fixtures', 'out'].includes(key) && argv[i + 1] !== undefined) out[key] = resolve(argv[++i]);
    else throw new Error(`${usage} (got ${argv[i]})`);
  }
  out.rawTables = Boolean(out.hooks);
  if (!out.hooks && !out.quick && !out.coldOnly && !out.tablesOnly) throw new Error(`${usage}: --hooks DIR is required without --quick`);
  out.hooks ??= join(ROOT, 'pkg');
  out.pkg ??= join(ROOT, 'pkg');
  return out;
}

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json',
};

/** A static server for the few directories the page needs, on 127.0.0.1 only. */
function serve(hooksDir, pkgDir, fixturesDir) {
  const mounts = [
    ...(fixturesDir ? [['/fixtures/', fixturesDir]] : []),
    ['/hooks/', hooksDir],
    ['/bench/', join(ROOT, 'bench')],
    ['/pkg/', pkgDir],
    ['/node_modules/', join(ROOT, 'node_modules')],
  ];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = resolve(dir, '.' + path.slice(prefix.length - 1));
      if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) break;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        // Cross-origin isolation: performance.now() at 5 µs instead of 100 µs or coarser.
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function browserRun(hooksDir, pkgDir, fixturesDir, quick, coldOnly, tablesOnly, rawTables) {
  const server = await serve(hooksDir, pkgDir, fixturesDir);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    // Cold start first, in its own fresh contexts, before the long page
    // has warmed anything up.
    const cold = tablesOnly ? null : await coldStart(browser, `http://127.0.0.1:${server.address().port}`);
    if (coldOnly) return { cold, userAgent: `HeadlessChrome/${browser.version()}` };
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write(`${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`http://127.0.0.1:${server.address().port}/bench/index.html`);
    await page.waitForFunction(() => window.benchReady === true);
    if (!(await page.evaluate(() => self.crossOriginIsolated))) throw new Error('page is not cross-origin isolated');
    if (tablesOnly) {
      const tables = await page.evaluate((hooks) => window.runTables({ hooks }), rawTables);
      return { tables, userAgent: await page.evaluate(() => navigator.userAgent) };
    }
    return { ...(await page.evaluate((q) => window.runAll({ quick: q }), quick)), cold };
  } finally {
    await browser.close();
    server.close();
  }
}

/** Bytes of `buf` compressed by `gzip -9` (GNU gzip, the figure
 * `./build.sh build` prints); node's zlib at level 9 where gzip is missing
 * (its deflate comes out ~1.5 % larger on the .wasm). */
function gzipped(buf) {
  try {
    return execFileSync('gzip', ['-9c'], { input: buf, maxBuffer: 64 << 20 }).length;
  } catch {
    return gzipSync(buf, { level: 9 }).length;
  }
}

function sizes(pkgDir) {
  const size = (files) => {
    const bufs = files.map((f) => readFileSync(f));
    const raw = bufs.reduce((n, b) => n + b.length, 0);
    const gz = bufs.reduce((n, b) => n + gzipped(b), 0);
    return { raw, gz };
  };
  const snippets = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.js')) snippets.push(join(d, e.name));
    }
  };
  if (existsSync(join(pkgDir, 'snippets'))) walk(join(pkgDir, 'snippets'));
  const mvp = join(pkgDir, 'mvp', 'frameseal_bg.wasm');
  return {
    wasm: size([join(pkgDir, 'frameseal_bg.wasm')]),
    mvp: existsSync(mvp) ? size([mvp]) : null,
    glue: size([join(pkgDir, 'frameseal.js'), ...snippets]),
    snippets: snippets.length,
  };
}

const n0 = (v) => Math.round(v).toLocaleString('en-US');
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;

function machine() {
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const tool = (cmd, a) => { try { return execFileSync(cmd, a, { encoding: 'utf8' }).trim(); } catch { return `${cmd}: n/a`; } };
  return { cpu, cores: cpus().length, rustc: tool('rustc', ['--version']), node: process.version };
}

function table(result, native, sz, ctx) {
  const webcrypto = result.rows.find((r) => r.name.startsWith('WebCrypto'));
  const libsodium = result.rows.find((r) => r.name.startsWith('libsodium'));
  const lines = [];
  const ratio = (r, base) => (base ? `${(r.rates[1] / base.rates[1]).toFixed(2)}×` : '');
  lines.push(`Measured ${ctx.date} on ${ctx.m.cpu}, ${ctx.m.cores} cores; ${ctx.browser}; ${ctx.m.rustc}; node ${ctx.m.node}.`);
  lines.push(`Load average (1 min) before/after: ${ctx.loadBefore.toFixed(2)} / ${ctx.loadAfter.toFixed(2)}` +
    ' — other builds on the machine make every figure noisier and lower.');
  lines.push('Verifications per second, one thread, median of 3 rounds after warm-up (each round runs every row of a size once, ≥ 400 ms each, in a rotating order); all browser rows from one page in one run.');
  lines.push('');
  lines.push(`| implementation | ${result.sizes.join(' | ')} | 1 KiB vs WebCrypto | 1 KiB vs libsodium |`);
  lines.push(`|---|${'---:|'.repeat(result.sizes.length + 2)}`);
  for (const r of result.rows) {
    lines.push(`| ${r.name} | ${r.rates.map(n0).join(' | ')} | ${ratio(r, webcrypto)} | ${ratio(r, libsodium)} |`);
  }
  for (const r of native) {
    lines.push(`| ${r.name} (1 core) | ${r.rates.map(n0).join(' | ')} | ${ratio(r, webcrypto)} | ${ratio(r, libsodium)} |`);
  }
  const d = result.dashboard;
  const width = result.sizes.length + 3;
  const row = (...cells) => lines.push(`| ${[...cells, ...Array(width - cells.length).fill('')].join(' | ')} |`);
  // Version 2 (issue 16's targets): against WebCrypto over the same
  // payload, and a forged frame's refusal against a genuine one's acceptance.
  const v2 = result.rows.find((r) => r.name.includes('version-2 frames'));
  const forged = result.rows.find((r) => r.name.includes('a byte of R altered'));
  const times = (a, b) => `${(a / b).toFixed(2)}×`;
  if (v2 && webcrypto) {
    row('**version 2 vs WebCrypto**: `Verifier.verify` on version-2 frames ÷ WebCrypto over the same payload (targets: ≥ 1.3× at 1 KiB, ≥ 2.0× at 512 KiB)',
      ...v2.rates.map((r, i) => times(r, webcrypto.rates[i])));
  }
  if (v2 && forged) {
    row('**forged version 2 refused vs genuine accepted**: refusals per second of the forged frame whose signature is checked in full ÷ genuine version-2 acceptances per second (target at 512 KiB: ≥ 20×)',
      ...forged.rates.map((r, i) => times(r, v2.rates[i])));
  }
  for (const u of result.units ?? []) {
    row(`**\`verifyUnit\`, x264 ${u.label}**: one access unit of ${n0(u.bytes)} B (${kib(u.bytes)}; 1280×720 Annex B H.264, sealed by \`sealUnit\`), per second`,
      `${n0(u.verifyUnit)} /s`, `WebCrypto over the same bytes: ${n0(u.webcrypto)} /s`, `${times(u.verifyUnit, u.webcrypto)} WebCrypto${u.label === 'keyframe' ? ' (target ≥ 1.5×)' : ''}`);
  }
  for (const u of result.units ?? []) {
    if (!u.stagesUs) continue;
    const [find, measure, hashed, blake3] = u.stagesUs.map((us) => `${us.toFixed(1)} µs`);
    row(`\`verifyUnit\`'s stages alone on the x264 ${u.label} (hooks; per unit): find the seal · measure the content (before the signature) · derive and hash the content · BLAKE3 of the whole unit in one piece, for comparison`,
      find, measure, hashed, blake3);
  }
  for (const u of result.units ?? []) {
    row(`**\`sealUnit\`, x264 ${u.label}** (${kib(u.bytes)}): seal insertion (canonical content, BLAKE3, Ed25519 signature, SEI written)`,
      `${n0(u.sealUnit)} /s`, `${(1000 / u.sealUnit).toFixed(3)} ms per unit`);
  }
  row(`**dashboard**: ${d.tiles} tiles × ${d.fps} fps, JPEG-like 20–60 KiB frames (mean ${d.meanFrameKiB.toFixed(1)} KiB), main thread`,
    `${d.msPerSecond.toFixed(1)} ms per second (${(d.msPerSecond / 10).toFixed(1)} %)`,
    `one core sustains ${d.maxTiles} tiles at ${d.fps} fps`);
  const w = result.workers;
  if (w) {
    const vsWebCrypto = webcrypto ? `${(w.rate1k / webcrypto.rates[1]).toFixed(2)}×` : '';
    lines.push(`| **worker pool**: \`GatePool\`, ${w.workers} workers, 16 tiles of 1 KiB opaque frames, 16 per task (verify in the workers; main thread ${w.mainMsPer1k.toFixed(1)} ms per 1,000 frames) |  | ${n0(w.rate1k)} |  |  | ${vsWebCrypto} |  |`);
    const vs512 = webcrypto ? `${(w.rate512k / webcrypto.rates[3]).toFixed(2)}× WebCrypto at 512 KiB` : '';
    lines.push(`| **worker pool, large stills**: \`GatePool\`, ${w.workers} workers, 8 tiles × 12 frames of 512 KiB, one per task, transferred (main thread ${n0(w.mainUsPer512k)} µs per frame) |  |  |  | ${n0(w.rate512k)} | ${vs512} |  |`);
    row(`**dashboard, worker mode**: the same second of video through \`GatePool\` (${w.workers} workers; verification only, one frame per task, transferred)`,
      `main thread ${w.dashboard.mainMsPerSecond.toFixed(1)} ms per second (${(w.dashboard.mainMsPerSecond / 10).toFixed(2)} %)`,
      `the pool sustains ${w.dashboard.maxTiles} tiles at ${w.dashboard.fps} fps`);
  }
  row('linking: `new Verifier` (key checks + per-key table build), per key', `${d.linkMs.toFixed(2)} ms`);
  tablesRows(result.tables, row);
  coldRows(result.cold, row);
  row('`pkg/frameseal_bg.wasm`', `${n0(sz.wasm.raw)} B raw (${kib(sz.wasm.raw)})`, `${n0(sz.wasm.gz)} B gzip -9 (${kib(sz.wasm.gz)})`);
  if (sz.mvp) {
    row('`pkg/mvp/frameseal_bg.wasm` (WebAssembly 1.0 build)', `${n0(sz.mvp.raw)} B raw (${kib(sz.mvp.raw)})`, `${n0(sz.mvp.gz)} B gzip -9 (${kib(sz.mvp.gz)})`);
  }
  row(`JS glue: \`pkg/frameseal.js\` + ${sz.snippets} snippet(s)`, `${n0(sz.glue.raw)} B raw (${kib(sz.glue.raw)})`, `${n0(sz.glue.gz)} B gzip -9 (${kib(sz.glue.gz)})`);
  return lines.join('\n');
}

const BUILDS = {
  modern: 'modern build (`pkg/`)',
  mvp: 'WebAssembly 1.0 build (`pkg/mvp/`)',
  js: 'JS build (`pkg/mvp-js/`, page without `WebAssembly`)',
};

/** The cold-start rows (bench/cold.mjs): one per build and init path,
 *  each phase's median (and min) over fresh browser contexts. */
function coldRows(cold, row) {
  if (!cold) return;
  const ms = ({ median, min }) => `${median.toFixed(1)} ms (min ${min.toFixed(1)})`;
  for (const c of cold) {
    const p = c.phases;
    const total = `**${ms(p.total)}**`;
    const rtt = c.latencyMs ? `, **${c.latencyMs} ms network latency** (Chromium's emulation)` : '';
    if (c.loader) {
      row(`**cold start, ${BUILDS[c.build]}${rtt}, through the package's \`load({ build })\`** (pkg/loader.js${c.build === 'js' ? '' : ': the .wasm fetched and stream-compiled while the glue module loads'}): ${total}; phases: navigation → page script · loader + glue import${c.build === 'js' ? '' : ' + .wasm fetch, compile and instantiate'} · — · linking · first verify · decode + draw; a second key's link afterwards: ${ms(c.nextLink)}`,
        ms(p.page), ms(p.module), '—', ms(p.link), ms(p.verify), ms(p.draw));
    } else if (c.build === 'js') {
      row(`**cold start, ${BUILDS[c.build]}**: navigation → first verified picture drawn on a FrameGate tile, ${total}, median (min) of ${c.samples} fresh browser contexts; phases: navigation → page script · import of the wasm2js module (fetch, parse, run; no init) · — · linking (\`new FrameGate\`: key checks, shared base-point table, per-key table) · first verify (\`push\`'s synchronous part) · decode + draw (${kib(c.frameBytes)} JPEG); a second key's link afterwards: ${ms(c.nextLink)}`,
        ms(p.page), ms(p.module), '—', ms(p.link), ms(p.verify), ms(p.draw));
    } else if (c.plain) {
      row(`cold start, ${BUILDS[c.build]}${rtt}, a page's plain \`await init()\`: ${total}; ${c.streamed ? 'stream-compiled (the glue\'s `WebAssembly.instantiateStreaming`, .wasm served as `application/wasm`)' : 'NOT stream-compiled (the glue fell back to bytes)'}; phases: navigation → page script · glue import · \`init()\` (fetch + compile + instantiate) · linking · first verify · decode + draw`,
        ms(p.page), ms(p.module), ms(p.init), ms(p.link), ms(p.verify), ms(p.draw));
    } else {
      row(`**cold start, ${BUILDS[c.build]}**: navigation → first verified picture drawn on a FrameGate tile, ${total}, median (min) of ${c.samples} fresh browser contexts; phases: navigation → page script · glue import + .wasm fetch + \`WebAssembly.compileStreaming\`${c.streamed ? ' (served as `application/wasm`)' : ''} · \`init({ module_or_path })\` (instantiate) · linking (\`new FrameGate\`: key checks, shared base-point table, per-key table) · first verify (\`push\`'s synchronous part) · decode + draw (${kib(c.frameBytes)} JPEG); a second key's link afterwards: ${ms(c.nextLink)}`,
        ms(p.page), ms(p.module), ms(p.init), ms(p.link), ms(p.verify), ms(p.draw));
    }
  }
}

/** The `tables` option's rows (bench/tables.mjs): 1 KiB speed against
 *  WebCrypto measured alongside, and memory per verifier. */
function tablesRows(tables, row) {
  if (!tables) return;
  const webcrypto = tables.speed.find((s) => s.key === 'webcrypto');
  for (const s of tables.speed) {
    if (s.key === 'webcrypto') continue;
    row(`**${s.name}**, per second, one thread (median of 3 rounds, rotating with WebCrypto)`,
      `${n0(s.rate)} /s`, `${(1e6 / s.rate).toFixed(1)} µs per verification`,
      `${(s.rate / webcrypto.rate).toFixed(2)}× WebCrypto (${n0(webcrypto.rate)} /s alongside)`);
  }
  for (const m of tables.memory) {
    row(`**memory per verifier, \`tables: '${m.tables}'\`**, ${m.n} verifiers of ${m.shared ? 'one key (one shared table)' : `${m.n} distinct keys`}: WebAssembly memory growth ÷ ${m.n}`,
      `${kib(m.perVerifier)} per verifier`, `${(m.bytes / 1048576).toFixed(2)} MiB for ${m.n}`,
      `linking them all again after freeing them: ${kib(m.regrown)} more`);
  }
}

/** `--tables-only`: the tables rows alone. */
function tablesTable(result, ctx) {
  const lines = [`Measured ${ctx.date} on ${ctx.m.cpu}, ${ctx.m.cores} cores; ${ctx.browser}; load average (1 min) before/after: ${ctx.loadBefore.toFixed(2)} / ${ctx.loadAfter.toFixed(2)}.`, ''];
  lines.push('| the `tables` option | | | |');
  lines.push(`|---|${'---:|'.repeat(3)}`);
  tablesRows(result.tables, (...cells) => lines.push(`| ${[...cells, ...Array(4 - cells.length).fill('')].join(' | ')} |`));
  return lines.join('\n');
}

/** `--cold-only`: the cold-start rows alone, in the same columns. */
function coldTable(result, ctx) {
  const lines = [`Measured ${ctx.date} on ${ctx.m.cpu}, ${ctx.m.cores} cores; ${ctx.browser}; load average (1 min) before/after: ${ctx.loadBefore.toFixed(2)} / ${ctx.loadAfter.toFixed(2)}.`, ''];
  lines.push('| cold start | navigation → script | module | init | linking | first verify | decode + draw |');
  lines.push(`|---|${'---:|'.repeat(6)}`);
  coldRows(result.cold, (...cells) => lines.push(`| ${[...cells, ...Array(7 - cells.length).fill('')].join(' | ')} |`));
  return lines.join('\n');
}

const opts = args();
const loadBefore = loadavg()[0];
const native = opts.native ? JSON.parse(readFileSync(opts.native, 'utf8')) : [];
const result = await browserRun(opts.hooks, opts.pkg, opts.fixtures, opts.quick, opts.coldOnly, opts.tablesOnly, opts.rawTables);
result.sizes = ['64 B', '1 KiB', '64 KiB', '512 KiB'];
const browser = (result.userAgent.match(/(?:Headless)?Chrome\/[\d.]+/) ?? ['Chromium'])[0].replace('HeadlessChrome', 'headless Chromium');
const ctx = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  m: machine(),
  browser,
  loadBefore,
  loadAfter: loadavg()[0],
};
const md = opts.coldOnly ? coldTable(result, ctx)
  : opts.tablesOnly ? tablesTable(result, ctx)
    : table(result, native, sizes(opts.pkg), ctx);
process.stdout.write(`${md}\n`);
if (opts.out) writeFileSync(opts.out, `${md}\n`);
