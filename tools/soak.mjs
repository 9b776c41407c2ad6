// The soak run (`./build.sh soak [minutes]`, scripts/soak.sh): frameseal-demo
// and headless Chromium with www/soak.html's 16 protected tiles on the
// demo's 3 still cameras, its 2 live H.264 cameras and the page's own VP8
// camera, for `minutes` (default 30), while every relay fault switches on
// and off on a fixed schedule. Every SAMPLE_S seconds it records:
// - memory: the page's JS heap (CDP Performance.getMetrics JSHeapUsedSize,
//   after a forced garbage collection so that only what is still held
//   counts), the package's WebAssembly memory (memory.buffer.byteLength),
//   Chromium's RSS (the sum of VmRSS over its process tree, from /proc) and
//   the relay's (frameseal-demo's own process; its ffmpeg children are
//   listed apart);
// - frames: every tile's gate stats() (accepted, dropped by reason);
// - foreign pixels: how many reads of the protected surfaces showed another
//   camera's colour at the plain points (www/soak.js); must stay 0;
// - genuine frames lost beyond those the faults removed (www/soak.js says
//   how each kind of tile counts them);
// and prints a progress line. At the end: one summary line, bench/SOAK.md
// (command, machine, per-minute table, what the line means) and the chart
// bench/SOAK.svg; the raw samples go to $CARGO_TARGET_DIR/soak/samples.json.
//
// Usage: node tools/soak.mjs [minutes] [--out DIR] [--tiles KIND,...]   (the demo binary and pkg/
//          built; --tiles keeps only those kinds of tile: framegate, videogate, msegate, hls;
//          --page-query adds soak.html's diagnostic switches, e.g. hlsFrameseal=off or
//          hlsBackBuffer=default; --driver pipe (default: tools/cdp-pipe.mjs, no Network
//          domain) or playwright (playwright-core, whose Network domain keeps every request))
//        node tools/soak.mjs --from-samples FILE [--out DIR] [--notes FILE]
//          (a finished run's report again, with what was found about it: a
//          markdown section placed after the summary)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/e2e/browsers.mjs';
import { launchPipe } from './cdp-pipe.mjs';
import { DEMO_BIN, DEMO_BUILD, ROOT, startDemo } from '../tests/e2e/demo-server.mjs';

const require = createRequire(import.meta.url);
const SAMPLE_S = 10;
/** The minute from which memory must stay flat. */
const SETTLED_MIN = 5;
/** How often the schedule is looked at, ms. */
const TICK_MS = 1000;
/** Seconds with every fault off before the final sample. */
const SETTLE_S = 15;

/**
 * The faults' schedule: fault i is on while floor((t + offset) / period) is
 * odd, t in seconds since the start, so every fault is on about half the
 * time, each with its own rhythm, and the combinations keep changing. The
 * blackhole (which stops everything) is on for its `on` seconds once every
 * `period` instead.
 */
const SCHEDULE = [
  { fault: 'mixup', period: 40, offset: 0 },
  { fault: 'loss', period: 50, offset: 10 },
  { fault: 'duplication', period: 60, offset: 20 },
  { fault: 'reordering', period: 70, offset: 5 },
  { fault: 'farreordering', period: 90, offset: 30 },
  { fault: 'delay', period: 55, offset: 15 },
  { fault: 'longdelay', period: 80, offset: 45 },
  { fault: 'corruption', period: 45, offset: 25 },
  { fault: 'replay', period: 35, offset: 12 },
  { fault: 'tamper', period: 65, offset: 33 },
  { fault: 'oldparts', period: 75, offset: 50 },
  { fault: 'blackhole', period: 120, offset: 100, on: 8 },
];

/** Which faults are on `t` seconds into the run. */
function faultsAt(t) {
  return Object.fromEntries(SCHEDULE.map(({ fault, period, offset, on }) => [fault, on === undefined
    ? Math.floor((t + offset) / period) % 2 === 1
    : (t + offset) % period < on]));
}

function parseArgs(argv) {
  const args = { minutes: 30, out: path.join(ROOT, 'bench'), command: null, fromSamples: null, driver: 'pipe' };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--out') args.out = argv[++i];
    else if (argv[i] === '--command') args.command = argv[++i];
    else if (argv[i] === '--from-samples') args.fromSamples = argv[++i];
    else if (argv[i] === '--notes') args.notes = argv[++i];
    else if (argv[i] === '--tiles') args.tiles = argv[++i];
    else if (argv[i] === '--page-query') args.query = argv[++i];
    else if (argv[i] === '--driver') args.driver = argv[++i];
    else if (/^\d+(\.\d+)?$/.test(argv[i])) args.minutes = Number(argv[i]);
    else throw new Error(`usage: node tools/soak.mjs [minutes] [--out DIR] (not ${argv[i]})`);
  }
  if (!(args.minutes > 0)) throw new Error('minutes must be above 0');
  return args;
}

/** Writes the chart and SOAK.md into `out`; returns the summary line. */
function writeResults({ out, run, samples, info, startedAt, notes = null, heapGrowth = null }) {
  const summary = summaryLine(samples, run.minutes, heapGrowth);
  mkdirSync(out, { recursive: true });
  const chartName = 'SOAK.svg';
  writeFileSync(path.join(out, chartName), chartSvg(samples, run.minutes));
  writeFileSync(path.join(out, 'SOAK.md'), writeReport({ args: run, samples, summary, info, startedAt, chartName, notes, heapGrowth }));
  console.log(`[soak] wrote ${path.join(out, 'SOAK.md')} and ${path.join(out, chartName)}`);
  return summary;
}

// ---------------------------------------------------------------- /proc

/** Every process: pid → { ppid, rssKiB, name }. */
function processes() {
  const all = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const field = (name) => status.match(new RegExp(`^${name}:\\s*(\\S+)`, 'm'))?.[1];
      all.set(Number(entry), { ppid: Number(field('PPid')), rssKiB: Number(field('VmRSS') ?? 0), name: field('Name') });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/** `root` and every process under it. */
function tree(all, root) {
  const pids = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of all) {
      if (!pids.has(pid) && pids.has(p.ppid)) {
        pids.add(pid);
        grew = true;
      }
    }
  }
  return pids;
}

/** A process's proportional set size in KiB (shared pages split among their sharers), 0 if gone. */
function pssKiB(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s*(\d+)/m)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Memory in bytes: the relay's RSS (its own process), its children's
 * (ffmpeg), and every other process under this one (Chromium): the sum of
 * their RSS (shared pages counted in every process) and of their PSS.
 */
function rss(demoPid) {
  const all = processes();
  const sum = (pids) => [...pids].reduce((s, pid) => s + (all.get(pid)?.rssKiB ?? 0), 0) * 1024;
  const demoTree = tree(all, demoPid);
  const mine = tree(all, process.pid);
  const browser = new Set([...mine].filter((pid) => pid !== process.pid && !demoTree.has(pid)));
  const demoChildren = new Set([...demoTree].filter((pid) => pid !== demoPid));
  // Per kind of Chromium process (--type=renderer, gpu-process, utility…; the browser process has none).
  const byType = {};
  for (const pid of browser) {
    let type = 'other';
    try {
      // Chromium rewrites its children's command lines into one space-separated string.
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
      type = argv.find((a) => a.startsWith('--type='))?.slice(7) ?? (all.get(pid)?.name === 'chromium' ? 'browser' : all.get(pid)?.name ?? 'other');
      if (type === 'utility') type = argv.find((a) => a.startsWith('--utility-sub-type='))?.slice(19) ?? type;
    } catch {
      // gone meanwhile
    }
    const entry = byType[type] ?? { rss: 0, pss: 0, count: 0 };
    entry.rss += (all.get(pid)?.rssKiB ?? 0) * 1024;
    entry.pss += pssKiB(pid) * 1024;
    entry.count += 1;
    byType[type] = entry;
  }
  return {
    byType,
    browser: sum(browser), browserPss: [...browser].reduce((s, pid) => s + pssKiB(pid), 0) * 1024,
    browserProcesses: browser.size, relay: sum([demoPid]), relayChildren: sum(demoChildren),
  };
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

// ---------------------------------------------------------------- figures

/**
 * An MseGate tile's lost figure (www/soak.js MseSoakTile says what it is),
 * from its raw counts: intact fragments, the policy's drops (`stale` and
 * `replayed` beyond the relay's own replays) and the lost rest, plus what
 * earlier connections of the tile lost.
 */
function mseLost(tile) {
  const d = tile.stats.dropped;
  const policy = Math.max(0, (d.stale ?? 0) + (d.replayed ?? 0) - (tile.injected.replayed ?? 0));
  const current = tile.media - (tile.injected.foreign ?? 0) - (tile.injected.replayed ?? 0) - (tile.injected.tampered ?? 0);
  return { policy, lost: current - tile.stats.accepted - policy + (tile.earlierConnections?.lostBeyondFaults ?? 0) };
}

/** A tile's lost figure: the ledger's, the MseGate reckoning, or undefined (hls.js tiles). */
function tileLost(tile) {
  if (tile.ledger) return tile.ledger.lostBeyondFaults;
  if (tile.kind === 'msegate' && tile.stats) return mseLost(tile).lost;
  return undefined;
}

/** Sums over tiles: accepted, dropped by reason, foreign pixel reads, lost, linked reads. */
function totals(sample) {
  const t = {
    accepted: 0, dropped: {}, foreignPixels: 0, foreignAccepted: 0, linkedReads: 0, pixelReads: 0,
    lost: 0, lostByKind: {}, intact: 0, policy: 0, reconnects: 0, skipped: 0,
  };
  for (const tile of sample.page.tiles) {
    const s = tile.stats;
    if (s) {
      t.accepted += s.accepted;
      for (const [reason, n] of Object.entries(s.dropped ?? {})) t.dropped[reason] = (t.dropped[reason] ?? 0) + n;
      t.skipped += s.skippedUntilKeyframe ?? 0;
    }
    t.foreignPixels += tile.pixels.foreign;
    t.linkedReads += tile.pixels.linked;
    t.pixelReads += tile.pixels.samples;
    t.reconnects += tile.reconnects;
    const ledger = tile.ledger;
    if (ledger) {
      t.foreignAccepted += ledger.foreignAccepted + ledger.foreignDrawn;
      t.intact += ledger.intact;
      t.policy += Object.values(ledger.policy).reduce((a, b) => a + b, 0);
    }
    const lost = tileLost(tile);
    if (typeof lost === 'number') {
      t.lost += lost;
      t.lostByKind[tile.kind] = (t.lostByKind[tile.kind] ?? 0) + lost;
    }
    if (tile.kind === 'msegate') t.intact += tile.intact;
  }
  return t;
}

const MiB = (bytes) => bytes / 1048576;
const f1 = (n) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1));
const pct = (a, b) => (a ? ((b - a) / a) * 100 : NaN);
const sign = (n) => (Number.isNaN(n) ? 'n/a' : `${n >= 0 ? '+' : ''}${n.toFixed(1)} %`);
const mmss = (s) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;

/** The memory series the summary and chart show: [key, label, bytes of a sample]. */
const MEMORY = [
  ['browser', 'browser RSS', (s) => s.rss.browser],
  ['browserPss', 'browser PSS', (s) => s.rss.browserPss],
  ['heap', 'JS heap', (s) => s.jsHeapUsed],
  ['wasm', 'wasm memory', (s) => s.page.wasmBytes],
  ['relay', 'relay RSS', (s) => s.rss.relay],
];

/**
 * Memory growth from the settled baseline to the end, per series: the mean
 * of the samples in the minute from SETTLED_MIN (or, in a run shorter than
 * twice that, from half-way) against the mean of the last minute's. A
 * minute's mean, not one sample: a single sample catches a collection or a
 * buffer swap mid-way.
 */
function growth(samples, minutes) {
  const long = minutes >= 2 * SETTLED_MIN;
  const from = long ? SETTLED_MIN * 60 : (minutes * 60) / 2;
  const end = samples.at(-1).t;
  const mean = (list, get) => list.reduce((s, x) => s + get(x), 0) / list.length;
  // A short run has no settled minute to spare: its half-way sample against its last.
  const base = samples.filter((s) => (long ? s.t >= from && s.t < from + 60 : Math.abs(s.t - from) < SAMPLE_S / 2));
  const last = long ? samples.filter((s) => s.t > end - 60) : [samples.at(-1)];
  const out = { fromS: from };
  for (const [key, , get] of MEMORY) {
    const a = mean(base.length ? base : [samples[0]], get);
    const b = mean(last, get);
    out[key] = { from: a, to: b, pct: pct(a, b) };
  }
  return out;
}

/**
 * Per live tile (MseGate, hls.js), the sample intervals in which its video
 * played less than a second of its 10 s although the blackhole was off at
 * both ends: a player stuck on one picture shows no foreign pixel, so it is
 * counted apart.
 */
function stalls(samples) {
  const out = samples[0].page.tiles.map(() => 0);
  samples.slice(1).forEach((s, j) => {
    const p = samples[j];
    if (s.faults.blackhole || p.faults.blackhole) return;
    s.page.tiles.forEach((tile, i) => {
      const before = p.page.tiles[i].currentTime;
      if (typeof tile.currentTime === 'number' && typeof before === 'number' && tile.currentTime - before < 1) out[i] += 1;
    });
  });
  return out;
}

/**
 * The JS heap's growth split in two, from the heap snapshots at the
 * baseline and at the end: V8's compiled code (bytecode, optimised machine
 * code and their metadata: the JIT warming up, bounded by the page's
 * functions) and everything else (the page's objects, where a leak shows).
 */
function heapSplit(g, heapGrowth) {
  const row = heapGrowth?.rows.find(([key]) => key === CODE);
  const code = heapGrowth?.code ? heapGrowth.code.to - heapGrowth.code.from : row?.[2];
  if (code === undefined) return '';
  const rest = g.heap.to - g.heap.from - code;
  return ` (V8's compiled code ${code >= 0 ? '+' : ''}${Math.round(code / 1024)} KiB of it; ` +
    `without it ${sign((rest / g.heap.from) * 100)})`;
}

function summaryLine(samples, minutes, heapGrowth = null) {
  const g = growth(samples, minutes);
  const t = totals(samples.at(-1));
  const mem = MEMORY.map(([key, label]) => `${label} ${sign(g[key].pct)}${key === 'heap' ? heapSplit(g, heapGrowth) : ''}`).join(', ');
  const kinds = Object.entries(t.lostByKind).map(([k, n]) => `${k} ${n}`).join(', ');
  return `soak ${minutes} min: memory after minute ${f1(g.fromS / 60)}: ${mem}; ` +
    `foreign pixels drawn ${t.foreignPixels} (of ${t.pixelReads} reads, ${t.linkedReads} of the linked camera), ` +
    `foreign frames accepted ${t.foreignAccepted}; genuine frames lost beyond the faults ${t.lost} ` +
    `(${kinds}; of ${t.intact} delivered intact); live players stuck in ${stalls(samples).reduce((a, b) => a + b, 0)} ` +
    `of ${(samples.length - 1) * samples.at(-1).page.tiles.filter((x) => typeof x.currentTime === 'number').length} tile-intervals`;
}

function progressLine(sample, minutes) {
  const t = totals(sample);
  const drops = Object.entries(t.dropped).filter(([, n]) => n).map(([r, n]) => `${r} ${n}`).join(' ');
  const on = Object.entries(sample.faults).filter(([, v]) => v).map(([k]) => k).join(',') || 'none';
  return `[soak] ${mmss(sample.t)} of ${minutes}:00 · browser ${f1(MiB(sample.rss.browser))} MiB · ` +
    `PSS ${f1(MiB(sample.rss.browserPss))} MiB · heap ${f1(MiB(sample.jsHeapUsed))} MiB · wasm ${f1(MiB(sample.page.wasmBytes))} MiB · ` +
    `relay ${f1(MiB(sample.rss.relay))} MiB · accepted ${t.accepted} · dropped ${drops || 0} · ` +
    `foreign px ${t.foreignPixels} · lost ${t.lost} · load ${sample.load[0]} · faults ${on}`;
}

// ---------------------------------------------------------------- heap snapshots

/** The census key of all of V8's compiled code summed. */
const CODE = 'code (compiled code)';

/**
 * A heap snapshot of the page over `cdp`, after a collection, summed by
 * node type and name: Map "type name" → [count, self bytes]. Compiled code
 * is summed as one (CODE) and by its kind (`code: system / …`).
 */
async function heapCensus(cdp) {
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const chunks = [];
  const onChunk = (e) => chunks.push(e.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await cdp.send('HeapProfiler.disable');
  const snap = JSON.parse(chunks.join(''));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [type, name, size, idField, edgeCount] = ['type', 'name', 'self_size', 'id', 'edge_count'].map((f) => fields.indexOf(f));
  const census = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const t = types[snap.nodes[i + type]];
    const label = snap.strings[snap.nodes[i + name]].replace(/ @\d+/g, '').slice(0, 70);
    const keys = t === 'code' ? [CODE, `code: ${label}`] : [`${t} ${label}`];
    for (const key of keys) {
      const entry = census.get(key) ?? [0, 0];
      entry[0] += 1;
      entry[1] += snap.nodes[i + size];
      census.set(key, entry);
    }
  }
  // Which functions the machine code belongs to: a closure's `code` edge
  // leads to its Code object, its `shared` → `script` edges to its script.
  const edgeFields = snap.snapshot.meta.edge_fields;
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => edgeFields.indexOf(f));
  const edgesOf = [];
  for (let i = 0, e = 0; i < snap.nodes.length; i += fields.length) {
    edgesOf.push(e);
    e += snap.nodes[i + edgeCount] * edgeFields.length;
  }
  const named = (node, edgeName) => {
    const at = node / fields.length;
    const end = at + 1 < edgesOf.length ? edgesOf[at + 1] : snap.edges.length;
    for (let e = edgesOf[at]; e < end; e += edgeFields.length) {
      const kind = edgeTypes[snap.edges[e + eType]];
      if (kind !== 'element' && kind !== 'hidden' && snap.strings[snap.edges[e + eName]] === edgeName) return snap.edges[e + eTo];
    }
    return -1;
  };
  const codeOwner = new Map(); // id of a Code object → "function (script)"
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    if (types[snap.nodes[i + type]] !== 'closure') continue;
    const code = named(i, 'code');
    if (code < 0) continue;
    const shared = named(i, 'shared');
    const script = shared < 0 ? -1 : named(shared, 'script');
    const scriptName = script < 0 ? '' : snap.strings[snap.nodes[script + name]].split('/').pop().slice(0, 60);
    codeOwner.set(snap.nodes[code + idField],
      `${snap.strings[snap.nodes[i + name]] || '(anonymous)'} (${scriptName || '?'})`);
  }
  census.codeOwner = codeOwner;
  return census;
}

/**
 * The functions whose machine code is in `after` but was not in `before`
 * (optimised since), by script: [script, functions, a few names].
 */
function newlyCompiled(before, after) {
  const byScript = new Map();
  for (const [id, owner] of after.codeOwner) {
    if (before.codeOwner.has(id)) continue;
    const script = owner.slice(owner.lastIndexOf(' (') + 2, -1);
    const entry = byScript.get(script) ?? [];
    entry.push(owner.slice(0, owner.lastIndexOf(' (')));
    byScript.set(script, entry);
  }
  return [...byScript].sort((a, b) => b[1].length - a[1].length)
    .map(([script, fns]) => [script, fns.length, [...new Set(fns)].slice(0, 8).join(', ')]);
}

/** What grew between two censuses, largest first: [key, count, bytes]. */
function censusGrowth(before, after, top = 40) {
  const rows = [];
  for (const [key, [count, bytes]] of after) {
    const [c0, b0] = before.get(key) ?? [0, 0];
    if (bytes - b0 > 0) rows.push([key, count - c0, bytes - b0]);
  }
  return rows.sort((a, b) => b[2] - a[2]).slice(0, top);
}

// ---------------------------------------------------------------- report

function machine() {
  const cpu = os.cpus();
  const chromium = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
  return {
    cpu: `${cpu[0]?.model ?? '?'} × ${cpu.length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    chromium,
    node: process.version,
  };
}

/** One row a minute (and the last sample): memory, per-minute frames, the running figures. */
function minuteRows(samples) {
  const rows = [];
  let prev = null;
  for (const s of samples) {
    const lastOne = s === samples.at(-1);
    if (!lastOne && (Math.round(s.t) % 60 !== 0 || s.t === 0)) continue;
    const t = totals(s);
    const p = prev ? totals(prev) : { accepted: 0, dropped: {} };
    const dropped = Object.entries(t.dropped).map(([r, n]) => [r, n - (p.dropped[r] ?? 0)]).filter(([, n]) => n > 0)
      .map(([r, n]) => `${r} ${n}`).join(', ');
    const on = Object.entries(s.faults).filter(([, v]) => v).map(([k]) => k).join(', ') || 'none';
    rows.push(`| ${mmss(s.t)} | ${f1(MiB(s.rss.browser))} | ${f1(MiB(s.rss.browserPss))} | ${f1(MiB(s.jsHeapUsed))} | ${f1(MiB(s.page.wasmBytes))} | ` +
      `${f1(MiB(s.rss.relay))} | ${t.accepted - p.accepted} | ${dropped || '0'} | ${t.foreignPixels} | ${t.lost} | ` +
      `${s.load.join(' ')} | ${on} |`);
    prev = s;
  }
  return rows;
}

function tileTable(samples) {
  const sample = samples.at(-1);
  const stuck = stalls(samples);
  const rows = sample.page.tiles.map((tile, i) => {
    const s = tile.stats ?? { accepted: '–', dropped: {} };
    const drops = Object.entries(s.dropped ?? {}).filter(([, n]) => n).map(([r, n]) => `${r} ${n}`).join(', ');
    const l = tile.ledger;
    const lost = tileLost(tile);
    const lostWhy = l ? Object.entries(l.lostReasons).map(([r, n]) => `${r} ${n}`).join(', ') : '';
    const intact = l ? l.intact : tile.intact;
    const policy = l ? Object.entries(l.policy).map(([r, n]) => `${r} ${n}`).join(', ')
      : tile.kind === 'msegate' && tile.stats ? `${mseLost(tile).policy} (stale + replayed − relay\'s replays)` : '';
    const skipped = s.skippedUntilKeyframe ?? '';
    return `| ${i + 1} | ${tile.kind} | ${tile.camera} | ${s.accepted} | ${drops || '0'} | ${skipped} | ` +
      `${intact ?? '–'} | ${policy || (l ? '0' : '–')} | ${lost ?? '–'}${lostWhy ? ` (${lostWhy})` : ''} | ` +
      `${tile.pixels.foreign} / ${tile.pixels.linked} / ${tile.pixels.samples} | ${tile.reconnects} | ` +
      `${tile.currentTime === undefined ? '' : `${f1(tile.currentTime)} (stuck in ${stuck[i]})`} |`;
  });
  return [
    '| # | tile | camera | accepted | dropped by reason | skipped until keyframe | delivered intact | policy drops (stale, replayed) | lost beyond faults | pixel reads: foreign / linked / all | reconnects | video time, s (intervals stuck) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

/**
 * The hls.js tiles' FragmentTracker entries (of them gaps) over the run:
 * the most any sample saw and the last sample's (soak.js reads them from
 * hls.js's internals; none in runs before it did).
 */
function trackerLines(samples) {
  const hls = samples.at(-1).page.tiles.map((t, i) => [t, i]).filter(([t]) => t.kind === 'hls' && t.tracked);
  if (hls.length === 0) return [];
  const cells = hls.map(([, i]) => {
    const seen = samples.map((s) => s.page.tiles[i]?.tracked).filter(Boolean);
    const most = Math.max(...seen.map((t) => t.entries));
    const mostGaps = Math.max(...seen.map((t) => t.gaps));
    const last = seen.at(-1);
    return `tile ${i + 1}: ${last.entries} (${last.gaps} gaps) at the end, at most ${most} (${mostGaps} gaps)`;
  });
  return [`hls.js FragmentTracker entries, sampled every ${SAMPLE_S} s: ${cells.join('; ')}.`, ''];
}

function writeReport({ args, samples, summary, info, startedAt, chartName, notes, heapGrowth }) {
  const g = growth(samples, args.minutes);
  const loads = samples.map((s) => s.load[0]);
  const md = [
    '# Soak run',
    '',
    `\`${args.command ?? `node tools/soak.mjs ${args.minutes}`}\`, started ${startedAt} (UTC), ${samples.length} samples every ${SAMPLE_S} s.`,
    '',
    '```text',
    summary,
    '```',
    '',
    `![memory and drops over time](${chartName})`,
    '',
    ...(notes ? [notes.trim(), ''] : []),
    '## The machine',
    '',
    `- CPU: ${info.cpu}; memory ${info.memory}; ${info.kernel}`,
    `- ${info.chromium} (headless, ${driverName(args)}), Node ${info.node}`,
    `- Shared with other work while it ran: load average (1 min) from ${Math.min(...loads)} to ${Math.max(...loads)}, ` +
      `mean ${(loads.reduce((a, b) => a + b, 0) / loads.length).toFixed(1)}, on ${os.cpus().length} cores.`,
    '',
    '## What ran',
    '',
    'frameseal-demo (3 still cameras at 5 fps, 2 live H.264 cameras from ffmpeg at 15 fps) and one page,',
    'www/soak.html, with 16 protected tiles: 9 FrameGate tiles (3 per still camera, each its own WebSocket',
    'and session), the page\'s own VP8 camera through its in-page relay to a VideoGate (video-camera.js),',
    '3 MseGate tiles (2 on the first live camera, 1 on the second) and 3 hls.js + frameseal/hls tiles',
    '(the same). Every fault the relay has switched on and off on a fixed schedule (tools/soak.mjs',
    '`SCHEDULE`: each fault about half the time with its own period of 35–90 s; the blackhole for 8 s',
    'every 2 minutes), so most of the time several faults are on together.',
    '',
    '## What the final line means',
    '',
    `- **Memory growth**: the mean of the samples in the minute from ${f1(g.fromS / 60)} min against the mean of the`,
    '  last minute\'s, for Chromium\'s RSS (every process of the browser, summed from /proc; shared pages',
    '  count once per process) and PSS (shared pages split among their sharers: closer to what it costs), the page\'s JS',
    '  heap (CDP `Performance.getMetrics` JSHeapUsedSize after a forced collection), the WebAssembly',
    '  memory of the package (`memory.buffer.byteLength`, one instance for the whole page) and the',
    '  relay\'s RSS (frameseal-demo\'s own process; its ffmpeg children are not counted). Target: under 5 %.',
    `  Here: ${MEMORY.map(([key, label]) => `${label} ${f1(MiB(g[key].from))} → ${f1(MiB(g[key].to))} MiB (${sign(g[key].pct)})`).join('; ')}.`,
    '- **Foreign pixels drawn**: every 250 ms each protected surface (the gate\'s canvas or `<video>`) is',
    '  read at its camera\'s plain points, where only that camera\'s background colour is ever drawn; a',
    '  read showing another camera\'s colour (hue within 30°) is a foreign pixel. Must be 0; the reads',
    '  of the linked camera\'s colour show the sampler saw pictures. "Foreign frames accepted" adds, for',
    '  the FrameGate and VideoGate tiles, frames a policy-free oracle did not call genuine that the gate',
    '  accepted or drew.',
    '- **Genuine frames lost beyond the faults**, per tile, summed:',
    '  - FrameGate and VideoGate tiles: every delivered frame goes to a policy-free oracle Verifier first',
    '    (no max age, a 65,536-frame replay window) and then to the gate. Frames the oracle accepts are',
    '    the genuine ones that arrived intact (first copies of the linked camera\'s frames on this',
    '    tile\'s session). Lost beyond the faults = those intact frames the gate did not accept, less the',
    '    ones it dropped as `stale` or `replayed` (its max age and replay window, which the long-delay',
    '    and far-reordering faults exceed by design), less those still in flight. What the relay lost',
    '    or altered never counts, because it never arrived intact.',
    '  - MseGate tiles: from the relay\'s own per-connection counts (`injected` messages): fragments',
    '    received after the init segment, less the foreign, replayed and tampered ones the relay',
    '    injected (= the intact genuine ones), less the samples the gate accepted, less the policy\'s',
    '    drops (its `stale` and `replayed` drops beyond the relay\'s replayed count). The gate judges a',
    '    fragment within append(), so its counts are never behind. (Its "skipped until keyframe" are',
    '    accepted samples it did not append because a lost, tampered or foreign one before them',
    '    broke the chain: what those faults cost on screen, listed per tile.)',
    '  - hls.js tiles are not in the figure: the LL-HLS server does not say per viewer what it',
    '    served in place of what (its faults replace whole parts and segments), so their accepted and',
    '    dropped counts are listed but no lost figure is claimed.',
    '',
    '- **Live players stuck**: a player stuck on one picture draws no foreign pixel, so for the MseGate',
    '  and hls.js tiles the line also counts the 10 s intervals (blackhole off) in which a video played',
    '  less than 1 s.',
    '',
    'The run ends with every fault off for 15 s and one more sample, so that nothing is in flight in',
    'the final counts. The hls.js tiles keep 10 s of played media (`backBufferLength: 10`), as www/live.js',
    'does; hls.js\'s default keeps everything played, and a Fragment object for each segment of it,',
    'under which the page\'s memory grows with the run (`soak.html?hlsBackBuffer=default` shows it).',
    ...(driverName(args) === 'playwright-core' ? [
      'The browser is driven over the DevTools protocol (playwright-core), whose network domain keeps a',
      'record of every request in the renderer (hls.js fetches about 7 a second here): that is',
      'the harness\'s, in the browser\'s RSS, not in the JS heap.',
    ] : [
      'The browser is driven over the DevTools protocol on a pipe with only the Runtime domain and the',
      'sampler\'s commands (tools/cdp-pipe.mjs): no network domain keeping a record of every request in',
      'the renderer, as playwright-core\'s does (`--driver playwright` runs with it).',
    ]),
    '',
    '## Per tile, at the end',
    '',
    ...tileTable(samples),
    '',
    ...trackerLines(samples),
    ...(heapGrowth ? [
      `## What the JS heap gained from ${mmss(heapGrowth.fromS)} to ${mmss(heapGrowth.toS)}`,
      '',
      'Two heap snapshots of the page (after a collection), summed by type and constructor; the',
      'largest gains (DevTools\' own records of the harness\'s requests show as NetworkResourcesData and',
      'XHRReplayData).',
      '',
      '| what | objects | bytes |',
      '|---|---|---|',
      ...heapGrowth.rows.map(([key, count, bytes]) => `| ${key.replace(/\|/g, '\\|')} | ${count >= 0 ? '+' : ''}${count} | +${bytes} |`),
      '',
      ...(heapGrowth.newlyCompiled ? [
        'Functions with machine code at the end that had none at the baseline (optimised by V8 since),',
        'by script:',
        '',
        '| script | functions | some of them |',
        '|---|---:|---|',
        ...heapGrowth.newlyCompiled.slice(0, 12).map(([script, n, names]) => `| ${script} | ${n} | ${names.replace(/\|/g, '\\|')} |`),
        '',
      ] : []),
    ] : []),
    '## Every minute',
    '',
    'Memory in MiB; frames accepted and dropped in that minute, summed over the tiles; foreign pixels',
    'and lost frames are running totals; load is /proc/loadavg; faults on at the sample.',
    '',
    '| t | browser RSS | browser PSS | JS heap | wasm | relay RSS | accepted | dropped by reason | foreign px | lost | load | faults on |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...minuteRows(samples),
    '',
  ];
  return md.join('\n');
}

/** A self-contained SVG: the four memory series (MiB) and the drops per sample interval by reason. */
function chartSvg(samples, minutes) {
  const W = 900;
  const panelH = 150;
  const left = 60;
  const right = 160;
  const plotW = W - left - right;
  const span = Math.max(minutes * 60, samples.at(-1).t);
  const x = (t) => left + (t / span) * plotW;
  const colours = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#bab0ac'];
  const parts = [];
  let top = 30;
  const esc = (s) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
  const axis = (y0, max, unit, min = '0') => {
    parts.push(`<line x1="${left}" y1="${y0 + panelH}" x2="${left + plotW}" y2="${y0 + panelH}" stroke="#888"/>`);
    parts.push(`<line x1="${left}" y1="${y0}" x2="${left}" y2="${y0 + panelH}" stroke="#888"/>`);
    parts.push(`<text x="${left - 4}" y="${y0 + 4}" text-anchor="end" font-size="10">${esc(max)}</text>`);
    parts.push(`<text x="${left - 4}" y="${y0 + panelH}" text-anchor="end" font-size="10">${esc(min)}</text>`);
    parts.push(`<text x="${left - 4}" y="${y0 + panelH / 2}" text-anchor="end" font-size="10">${esc(unit)}</text>`);
    for (let m = 0; m <= minutes; m += Math.max(1, Math.round(minutes / 10))) {
      parts.push(`<text x="${x(m * 60)}" y="${y0 + panelH + 12}" text-anchor="middle" font-size="10">${m}</text>`);
    }
  };
  const line = (points, colour) => `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>`;
  const g = growth(samples, minutes);
  const RANGE = 25; // the memory panel shows -RANGE..+RANGE % around each series' settled baseline
  parts.push(`<text x="${left}" y="16" font-size="13" font-weight="bold">frameseal soak, ${minutes} min: memory against its settled baseline (minute ${f1(g.fromS / 60)}), and frames per ${SAMPLE_S} s</text>`);
  const yPct = (p) => top + panelH / 2 - (Math.max(-RANGE, Math.min(RANGE, p)) / RANGE) * (panelH / 2);
  parts.push(`<rect x="${left}" y="${yPct(5)}" width="${plotW}" height="${yPct(-5) - yPct(5)}" fill="#e8f4e8"/>`);
  axis(top, `+${RANGE} %`, '', `-${RANGE} %`);
  parts.push(`<line x1="${left}" y1="${yPct(0)}" x2="${left + plotW}" y2="${yPct(0)}" stroke="#bbb"/>`);
  parts.push(`<text x="${left - 4}" y="${yPct(0) + 3}" text-anchor="end" font-size="10">0 %</text>`);
  parts.push(`<text x="${left - 4}" y="${yPct(5) + 3}" text-anchor="end" font-size="9">+5 %</text>`);
  MEMORY.forEach(([key, label, get], i) => {
    const base = g[key].from || 1;
    parts.push(line(samples.map((s) => [x(s.t), yPct(((get(s) - base) / base) * 100)]), colours[i]));
    const values = samples.map(get);
    parts.push(`<text x="${left + plotW + 8}" y="${top + 10 + i * 26}" font-size="11" fill="${colours[i]}">${esc(label)} ${esc(sign(g[key].pct))}</text>`);
    parts.push(`<text x="${left + plotW + 8}" y="${top + 21 + i * 26}" font-size="9" fill="${colours[i]}">${f1(MiB(Math.min(...values)))}–${f1(MiB(Math.max(...values)))} MiB, base ${f1(MiB(base))}</text>`);
  });
  parts.push(`<line x1="${x(g.fromS)}" y1="${top}" x2="${x(g.fromS)}" y2="${top + panelH}" stroke="#aaa" stroke-dasharray="3,3"/>`);
  top += panelH + 40;
  // Drops per interval by reason.
  const per = samples.slice(1).map((s, j) => {
    const a = totals(samples[j]);
    const b = totals(s);
    const d = {};
    for (const [r, n] of Object.entries(b.dropped)) d[r] = n - (a.dropped[r] ?? 0);
    return { t: s.t, d, accepted: b.accepted - a.accepted };
  });
  const reasons = [...new Set(per.flatMap((p) => Object.keys(p.d).filter((r) => p.d[r] > 0)))].sort();
  const peak = Math.max(1, ...per.map((p) => p.accepted), ...per.flatMap((p) => Object.values(p.d)));
  axis(top, peak, 'frames');
  const series = [['accepted', (p) => p.accepted], ...reasons.map((r) => [r, (p) => p.d[r] ?? 0])];
  series.forEach(([name, get], i) => {
    const colour = i === 0 ? '#333' : colours[(i + 3) % colours.length];
    parts.push(line(per.map((p) => [x(p.t), top + panelH - (Math.max(0, get(p)) / peak) * panelH]), colour));
    parts.push(`<text x="${left + plotW + 8}" y="${top + 12 + i * 13}" font-size="10" fill="${colour}">${esc(name)}</text>`);
  });
  // Fault bands under the drops: one thin row per fault, dark where it was on.
  top += panelH + 24;
  SCHEDULE.forEach(({ fault }, i) => {
    const y = top + i * 7;
    parts.push(`<text x="${left - 4}" y="${y + 6}" text-anchor="end" font-size="7">${fault}</text>`);
    for (const s of samples.slice(1)) {
      if (s.faults[fault]) parts.push(`<rect x="${x(s.t - SAMPLE_S).toFixed(1)}" y="${y}" width="${(plotW * SAMPLE_S / span).toFixed(1)}" height="5" fill="#999"/>`);
    }
  });
  const H = top + SCHEDULE.length * 7 + 20;
  parts.push(`<text x="${left + plotW / 2}" y="${H - 4}" text-anchor="middle" font-size="10">minutes</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n` +
    `<rect width="${W}" height="${H}" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}

// ---------------------------------------------------------------- run

const VIEWPORT = { width: 1600, height: 1200 };

/** What drove the browser in a run (runs before --driver existed used playwright-core). */
const driverName = (args) => (args.driver === 'pipe' ? 'a DevTools pipe, tools/cdp-pipe.mjs' : 'playwright-core');
const BROWSER_ARGS = [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'];

/**
 * Headless Chromium and one page: `pipe` (the default) drives it over the
 * DevTools protocol on a pipe with only Runtime and what the sampler sends
 * enabled (tools/cdp-pipe.mjs); `playwright` through playwright-core, as the
 * end-to-end tests do, whose Network domain keeps a record of every request
 * in the renderer (the browser's memory then grows with hls.js's fetches).
 * Resolves to { newPage(viewport) → { page, cdp }, close() }.
 */
async function launchBrowser(driver = 'pipe') {
  if (driver === 'pipe') {
    const browser = await launchPipe(CHROMIUM, BROWSER_ARGS);
    return {
      async newPage(viewport) {
        const page = await browser.newPage(viewport);
        return { page, cdp: page.cdp };
      },
      close: () => browser.close(),
    };
  }
  if (driver !== 'playwright') throw new Error(`--driver: pipe or playwright, not ${driver}`);
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  return {
    async newPage(viewport) {
      const page = await browser.newPage({ viewport });
      return { page, cdp: await page.context().newCDPSession(page) };
    },
    close: () => browser.close(),
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.fromSamples) {
    // The report of a finished run again, from its samples (as its own run wrote them).
    const saved = JSON.parse(readFileSync(args.fromSamples, 'utf8'));
    const startedAt = saved.startedAt ?? saved.samples[0].at.replace(/\.\d+Z$/, 'Z');
    const notes = args.notes ? readFileSync(args.notes, 'utf8') : null;
    console.log(writeResults({
      out: args.out, run: saved.args, samples: saved.samples, info: saved.info, startedAt, notes, heapGrowth: saved.heapGrowth,
    }));
    return;
  }
  if (!existsSync(DEMO_BIN)) throw new Error(`no frameseal-demo binary at ${DEMO_BIN} (${DEMO_BUILD})`);
  const info = machine();
  const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const demo = await startDemo();
  const browser = await launchBrowser(args.driver);
  let timer = null;
  const post = (body) => fetch(`${demo.origin}/api/faults`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then((r) => { if (!r.ok) throw new Error(`POST /api/faults: ${r.status}`); return r.json(); });
  try {
    const { page, cdp } = await browser.newPage(VIEWPORT);
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    await cdp.send('Performance.enable');
    await post(Object.fromEntries(SCHEDULE.map(({ fault }) => [fault, false])));
    const query = new URLSearchParams(args.query ?? '');
    if (args.tiles) query.set('tiles', args.tiles);
    await page.goto(`${demo.origin}/www/soak.html?${query}`);
    await page.waitForFunction(() => window.__soak || document.body.dataset.soak === 'failed', null, { timeout: 60_000 });
    const failed = await page.evaluate(() => document.body.dataset.error ?? null);
    if (failed) throw new Error(`the soak page failed: ${failed}`);
    const liveProblems = await page.evaluate(() => window.__soak.liveProblems);
    if (liveProblems.length) console.log(`[soak] live cameras not streaming: ${liveProblems.join('; ')}`);

    const t0 = Date.now();
    let state = Object.fromEntries(SCHEDULE.map(({ fault }) => [fault, false]));
    let switches = 0;
    const tick = async () => {
      const want = faultsAt((Date.now() - t0) / 1000);
      const change = Object.fromEntries(Object.entries(want).filter(([k, v]) => state[k] !== v));
      if (Object.keys(change).length === 0) return;
      state = await post(change);
      switches += Object.keys(change).length;
      await page.evaluate((s) => window.__soak.setFaults(s), state);
    };
    let ticking = Promise.resolve();
    timer = setInterval(() => { ticking = ticking.then(tick).catch((e) => problems.push(`schedule: ${e.message}`)); }, TICK_MS);

    const takeSample = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
      const pageSample = await page.evaluate(() => window.__soak.sample());
      return {
        t: (Date.now() - t0) / 1000, at: new Date().toISOString(), load: loadAverage(), faults: { ...state },
        jsHeapUsed: metrics.JSHeapUsedSize, jsHeapTotal: metrics.JSHeapTotalSize,
        nodes: metrics.Nodes, listeners: metrics.JSEventListeners, rss: rss(demo.proc.pid), page: pageSample,
      };
    };
    const samples = [];
    const end = t0 + args.minutes * 60_000;
    // Heap snapshots at the settled baseline and at the end: what the JS heap's growth is made of.
    const baselineS = args.minutes >= 2 * SETTLED_MIN ? SETTLED_MIN * 60 : (args.minutes * 60) / 2;
    let censusBefore = null;
    for (let n = 0; ; n += 1) {
      const due = t0 + n * SAMPLE_S * 1000;
      if (due > end) break;
      await new Promise((resolve) => { setTimeout(resolve, Math.max(0, due - Date.now())); });
      const sample = await takeSample();
      samples.push(sample);
      console.log(progressLine(sample, args.minutes));
      if (!censusBefore && sample.t >= baselineS) censusBefore = { t: sample.t, census: await heapCensus(cdp) };
    }
    let heapGrowth = null;
    if (censusBefore) {
      const after = await heapCensus(cdp);
      const codeBytes = (census) => census.get(CODE)?.[1] ?? 0;
      heapGrowth = {
        fromS: censusBefore.t, toS: samples.at(-1).t, rows: censusGrowth(censusBefore.census, after),
        code: { from: codeBytes(censusBefore.census), to: codeBytes(after) },
        newlyCompiled: newlyCompiled(censusBefore.census, after),
      };
    }
    clearInterval(timer);
    timer = null;
    await ticking;
    // Every fault off, then one more sample once what the delays hold has
    // arrived (the long delay holds a frame up to 14 s): the final counts
    // have nothing in flight.
    state = await post(Object.fromEntries(SCHEDULE.map(({ fault }) => [fault, false])));
    await page.evaluate((s) => window.__soak.setFaults(s), state);
    await new Promise((resolve) => { setTimeout(resolve, SETTLE_S * 1000); });
    const settled = await takeSample();
    settled.settled = true;
    samples.push(settled);
    console.log(progressLine(settled, args.minutes));

    const rawDir = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'soak');
    mkdirSync(rawDir, { recursive: true });
    const raw = path.join(rawDir, 'samples.json');
    writeFileSync(raw, JSON.stringify({ args, info, startedAt, switches, problems, heapGrowth, samples }, null, 1));
    console.log(`[soak] ${switches} fault switches; page problems: ${problems.length ? problems.slice(0, 5).join(' | ') : 'none'}`);
    console.log(`[soak] samples in ${raw} (node tools/soak.mjs --from-samples ${raw} writes the report again)`);
    console.log(writeResults({ out: args.out, run: args, samples, info, startedAt, heapGrowth }));
    const t = totals(samples.at(-1));
    if (t.foreignPixels > 0 || t.foreignAccepted > 0) process.exitCode = 1;
  } finally {
    if (timer) clearInterval(timer);
    await browser.close();
    demo.proc.kill();
  }
}

export { SCHEDULE, faultsAt, heapCensus, newlyCompiled };

// Run when started (not when imported, e.g. for the schedule).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(`soak: ${e.stack ?? e}`);
    process.exit(1);
  });
}
