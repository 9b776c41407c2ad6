// The browser side of `./build.sh bench`: every Ed25519 verifier side by
// side in one page, on the same key, messages and signatures.
//
// `runAll()` returns plain JSON for bench/run.mjs, which prints the table.
// Rates are verifications per second on the main thread: one warm-up round
// (two before the first size), then the median of three timed rounds. A
// round runs every row once, each for at least MIN_RUN_MS, in a rotating
// order, so a burst of load from elsewhere on the machine hits all rows of a
// size alike and the ratios between them stay meaningful. This is a
// benchmark, not a test: it asserts correctness (every verifier accepts the
// genuine signature and refuses a tampered one), never a speed.

import init, { Signer, Verifier } from '/pkg/frameseal.js';
import * as noble from '/node_modules/@noble/ed25519/index.js';
import sodium from '/node_modules/libsodium-wrappers/dist/modules-esm/libsodium-wrappers.mjs';
import { runTables } from './tables.mjs';

export const SIZES = [
  [64, '64 B'],
  [1024, '1 KiB'],
  [64 * 1024, '64 KiB'],
  [512 * 1024, '512 KiB'],
];
const MIN_RUN_MS = 400;
/** Memory for the pre-signed frames of one Verifier.verify size. */
const FRAME_BUDGET = 96 * 1024 * 1024;
/** The policy the whole-frame rows use: defaults, with a maxAge long
 *  enough that frames signed before the runs are still fresh. */
const POLICY = { maxAgeMs: 3_600_000 };

const log = (...a) => console.log('[bench]', ...a);

/** `done` verifications since `t0` (performance.now()), per second. */
function perSecond(done, t0) {
  return done / ((performance.now() - t0) / 1000);
}

/** Runs `fn(n)` (n verifications) until MIN_RUN_MS passed; verifications/s. */
function rateSync(fn) {
  const t0 = performance.now();
  let done = 0;
  let chunk = 1;
  while (performance.now() - t0 < MIN_RUN_MS) {
    fn(chunk);
    done += chunk;
    chunk = Math.min(chunk * 2, 256);
  }
  return perSecond(done, t0);
}

/** As rateSync, for a verifier that returns a promise: one at a time. */
async function rateAsync(fn) {
  const t0 = performance.now();
  let done = 0;
  while (performance.now() - t0 < MIN_RUN_MS) {
    await fn();
    done += 1;
  }
  return perSecond(done, t0);
}

function check(name, genuine, tampered) {
  if (genuine !== true || tampered !== false) {
    throw new Error(`${name}: genuine ${genuine}, tampered ${tampered}`);
  }
}

/** Deterministic bytes (xorshift32), so every run checks the same data. */
function filler(len, seed) {
  const out = new Uint8Array(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Genuine frames `0..count` of one stream, made before any timing by
 * `signer[method]`: 'signFrame' (version 1) or 'sealFrame' (version 2:
 * seal, then the payload). Each version gets a stream of its own.
 */
function makeFrames(signer, method, payload, count) {
  const streamId = filler(16, method === 'sealFrame' ? 98 : 99);
  const ts0 = Date.now() * 1000;
  const frames = [];
  for (let seq = 0; seq < count; seq++) {
    frames.push(signer[method](payload, {
      streamId, seq, timestampUs: ts0 + seq, keyframe: seq === 0, codec: 'jpeg',
    }));
  }
  return frames;
}
const signFrames = (signer, payload, count) => makeFrames(signer, 'signFrame', payload, count);
const sealFrames = (signer, payload, count) => makeFrames(signer, 'sealFrame', payload, count);

/** Offset of the signature in a version-2 frame (the seal's last 64 bytes). */
const V2_SIGNATURE_AT = 84;

/**
 * A row of whole frames through `VerifierClass` (the package's `Verifier`,
 * or another build's), linked to `publicKey` with POLICY, a new one for
 * each call. `verdicts` are `check(v, [first frame, a copy with byte 60
 * changed])`, an `ok` for each; `run` times `verifyAll(v, frames, t0)`,
 * which verifies genuine frames (throwing if one is dropped) and returns
 * how many it did.
 */
function frameRow(name, VerifierClass, publicKey, { check, verifyAll, v2 = false }) {
  const withVerifier = (fn) => {
    const v = new VerifierClass(publicKey, POLICY);
    const result = fn(v);
    v.free();
    return result;
  };
  return {
    name,
    prepare(msg, sig, frames, sealed) { this.frames = v2 ? sealed : frames; },
    verdicts() {
      const [genuine] = this.frames;
      const tampered = genuine.slice();
      tampered[60] ^= 1;
      return withVerifier((v) => check(v, [genuine, tampered]));
    },
    run() {
      return withVerifier((v) => {
        const t0 = performance.now();
        return perSecond(verifyAll(v, this.frames, t0), t0);
      });
    },
  };
}

/** `Verifier.verify` on each frame: their `ok`s. */
const verifyEach = (v, frames) => frames.map((f) => v.verify(f).ok);

/**
 * Every row at every size. The raw rows check the same key, message and
 * signature; the `Verifier.verify` row checks distinct genuine frames of
 * that payload size by the same key (a repeated frame would be a replay),
 * with a fresh verifier per run.
 */
async function sizeRows(seed, quick) {
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed);
  const webKey = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  const signer = new Signer(seed);
  // The hooked package (built with `--features bench`), only when its rows run.
  let hooks;
  if (!quick) {
    const { default: initHooks, BenchKey } = await import('/hooks/frameseal.js');
    await initHooks();
    hooks = new BenchKey(publicKey);
  }
  // The package's other builds, in the same page: present only
  // when /pkg/ is the whole package.
  const builds = [];
  try {
    const mvp = await import('/pkg/mvp/frameseal.js');
    await mvp.default();
    builds.push(['WebAssembly 1.0 build, `pkg/mvp/`', mvp]);
    builds.push(['JS build, `pkg/mvp-js/` (wasm2js, no WebAssembly)', await import('/pkg/mvp-js/frameseal.js')]);
  } catch (e) {
    log('other builds not measured:', e.message);
  }
  const otherBuildRows = builds.map(([label, build]) => frameRow(
    `frameseal \`Verifier.verify\`, ${label}`, build.Verifier, signer.publicKey, {
      check: verifyEach,
      // As many distinct frames as fit in MIN_RUN_MS (the JS build is slow).
      verifyAll(v, frames, t0) {
        let done = 0;
        while (done < frames.length && performance.now() - t0 < MIN_RUN_MS) {
          if (!v.verify(frames[done]).ok) throw new Error(`${label}: a genuine frame was dropped`);
          done += 1;
        }
        return done;
      },
    }));
  // One forged version-2 frame (`forge` alters a genuine one's signature),
  // checked again and again: a drop changes nothing in the verifier, so
  // it is as new each time.
  const forgedRow = (name, forge) => ({
    name,
    prepare(msg, sig, frames, sealed) {
      this.v?.free();
      this.v = new Verifier(signer.publicKey, POLICY);
      this.genuine = sealed[0];
      this.forged = sealed[0].slice();
      forge(this.forged);
    },
    verdicts() {
      const forged = this.v.verify(this.forged);
      if (forged.reason !== 'bad-signature') throw new Error(`${name}: ${forged.reason}`);
      const fresh = new Verifier(signer.publicKey, POLICY);
      const genuine = fresh.verify(this.genuine).ok;
      fresh.free();
      return [genuine, forged.ok];
    },
    run() {
      return rateSync((n) => {
        for (let i = 0; i < n; i++) {
          if (this.v.verify(this.forged).ok) throw new Error(`${name}: accepted`);
        }
      });
    },
  });
  // Verifies every frame with `verify`, one call each; throws if one is
  // dropped (`what` names it).
  const verifyEveryOne = (what) => (v, frames) => {
    for (const f of frames) {
      if (!v.verify(f).ok) throw new Error(`Verifier.verify dropped ${what}`);
    }
    return frames.length;
  };
  const all = [
    frameRow('frameseal `Verifier.verify` (wasm, whole frame: copy in + parse + policy + result object)',
      Verifier, signer.publicKey, { check: verifyEach, verifyAll: verifyEveryOne('a genuine frame') }),
    frameRow('frameseal `Verifier.verifyBatch` (the same frames, bursts of 32 per call)',
      Verifier, signer.publicKey, {
        check: (v, frames) => v.verifyBatch(frames).map((r) => r.ok),
        verifyAll(v, frames) {
          for (let i = 0; i < frames.length; i += 32) {
            for (const r of v.verifyBatch(frames.slice(i, i + 32))) {
              if (!r.ok) throw new Error('Verifier.verifyBatch dropped a genuine frame');
            }
          }
          return frames.length;
        },
      }),
    frameRow('frameseal `Verifier.verify`, version-2 frames (`sealFrame`: seal checked, then BLAKE3 of the payload)',
      Verifier, signer.publicKey, {
        v2: true, check: verifyEach, verifyAll: verifyEveryOne('a genuine version-2 frame'),
      }),
    forgedRow('frameseal `Verifier.verify` refusing a forged version-2 frame (linked key id, a byte of R altered: the whole signature check runs, `bad-signature`)',
      (f) => { f[V2_SIGNATURE_AT + 5] ^= 1; }),
    forgedRow('frameseal `Verifier.verify` refusing a forged version-2 frame with a random signature (S not below ℓ, as 15 in 16 random ones: refused before any curve arithmetic)',
      (f) => { f.set(filler(64, 5), V2_SIGNATURE_AT); f[V2_SIGNATURE_AT + 63] |= 0xf0; }),

    {
      name: 'frameseal raw check: PreparedKey (wasm, per-key tables)',
      hooked: true,
      prepare(msg, sig) { hooks.load(msg, sig); },
      verify1() { return hooks.verifyPrepared(1) === 1; },
      run: () => rateSync((n) => { if (hooks.verifyPrepared(n) !== n) throw new Error('PreparedKey refused'); }),
    },
    {
      name: 'ed25519-dalek verify_strict → wasm (same build, no tables)',
      hooked: true,
      prepare(msg, sig) { hooks.load(msg, sig); },
      verify1() { return hooks.verifyDalek(1) === 1; },
      run: () => rateSync((n) => { if (hooks.verifyDalek(n) !== n) throw new Error('dalek refused'); }),
    },
    {
      name: "WebCrypto `subtle.verify('Ed25519')` (browser native; sequential awaits)",
      prepare(msg, sig) { this.msg = msg; this.sig = sig; },
      verify1() { return crypto.subtle.verify('Ed25519', webKey, this.sig, this.msg); },
      run() { return rateAsync(() => crypto.subtle.verify('Ed25519', webKey, this.sig, this.msg)); },
    },
    {
      name: 'libsodium-wrappers 0.8 (wasm)',
      prepare(msg, sig) { this.msg = msg; this.sig = sig; },
      verify1() { return sodium.crypto_sign_verify_detached(this.sig, this.msg, publicKey); },
      run() {
        return rateSync((n) => {
          for (let i = 0; i < n; i++) sodium.crypto_sign_verify_detached(this.sig, this.msg, publicKey);
        });
      },
    },
    {
      name: '@noble/ed25519 3 (JS; verifyAsync, zip215: false)',
      prepare(msg, sig) { this.msg = msg; this.sig = sig; },
      verify1() { return noble.verifyAsync(this.sig, this.msg, publicKey, { zip215: false }); },
      run() { return rateAsync(() => noble.verifyAsync(this.sig, this.msg, publicKey, { zip215: false })); },
    },
    {
      name: 'tweetnacl 1.0 (JS, nacl-fast)',
      prepare(msg, sig) { this.msg = msg; this.sig = sig; },
      verify1() { return self.nacl.sign.detached.verify(this.msg, this.sig, publicKey); },
      run() {
        return rateSync((n) => {
          for (let i = 0; i < n; i++) self.nacl.sign.detached.verify(this.msg, this.sig, publicKey);
        });
      },
    },
    ...otherBuildRows,
  ];
  // Quick mode (comparing builds of pkg/): Verifier.verify, with WebCrypto as the yardstick.
  const impls = quick ? all.filter((i) => !i.hooked && /^(frameseal|WebCrypto)/.test(i.name)) : all;
  const rows = impls.map((i) => ({ name: i.name, rates: [] }));
  for (const [len, label] of SIZES) {
    const msg = filler(len, len);
    const sig = sodium.crypto_sign_detached(msg, privateKey);
    const bad = msg.slice();
    bad[len >> 1] ^= 1;
    const count = Math.max(64, Math.min(6000, Math.floor(FRAME_BUDGET / (len + 116))));
    const frames = signFrames(signer, msg, count);
    const sealed = sealFrames(signer, msg, count);
    for (const impl of impls) {
      let verdicts;
      if (impl.verdicts) {
        impl.prepare(msg, sig, frames, sealed);
        verdicts = impl.verdicts();
      } else {
        impl.prepare(bad, sig, frames, sealed);
        const tampered = await impl.verify1();
        impl.prepare(msg, sig, frames, sealed);
        verdicts = [await impl.verify1(), tampered];
      }
      check(`${impl.name} at ${label}`, ...verdicts);
    }
    const rates = impls.map(() => []);
    // Warm-up rounds: two before the first size (V8 tiers WebAssembly and
    // JS up in the background during the first seconds), one before others.
    const warmups = len === SIZES[0][0] ? 2 : 1;
    for (let round = 0; round < warmups + 3; round++) {
      for (let j = 0; j < impls.length; j++) {
        const k = (j + round) % impls.length;
        const rate = await impls[k].run();
        if (round >= warmups) rates[k].push(rate);
      }
    }
    for (const [k, r] of rates.entries()) {
      rows[k].rates.push(r.sort((a, b) => a - b)[1]);
      log(label, impls[k].name, Math.round(rows[k].rates.at(-1)));
    }
  }
  hooks?.free();
  for (const impl of impls) impl.v?.free();
  signer.free();
  return rows;
}

/**
 * The access units of an Annex B H.264 stream that x264 wrote with access
 * unit delimiters (`aud=1`): each unit starts at a 4-byte start code
 * followed by an AUD NAL unit (type 9).
 */
function accessUnits(stream) {
  const starts = [];
  for (let i = 0; i + 4 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 0 && stream[i + 3] === 1
      && (stream[i + 4] & 0x1f) === 9) starts.push(i);
  }
  return starts.map((at, k) => stream.subarray(at, starts[k + 1] ?? stream.length));
}

/**
 * In-band units: `Verifier.verifyUnit` on real x264 access units (the
 * stream scripts/bench.sh encodes with ffmpeg; served at /fixtures/) beside
 * WebCrypto over the same bytes, and `Signer.sealUnit`'s cost. The
 * keyframe is the stream's first unit (SPS, PPS, IDR slice); the delta is
 * its smallest P unit. Each unit is sealed as many times as there are
 * runs' worth of distinct seqs, so every verification is of a new frame.
 * Median of 3 rounds after a warm-up, rows of a unit in a rotating order.
 */
async function unitRows(seed, quick) {
  const response = await fetch('/fixtures/x264-720p.h264');
  if (!response.ok) {
    log('verifyUnit rows not measured: no /fixtures/x264-720p.h264');
    return null;
  }
  const units = accessUnits(new Uint8Array(await response.arrayBuffer()));
  if (units.length < 2) throw new Error(`x264 fixture: ${units.length} access units`);
  const deltas = units.slice(1).sort((a, b) => a.length - b.length);
  const picks = [['keyframe', units[0], true], ['delta', deltas[0], false]];
  const { publicKey, privateKey } = sodium.crypto_sign_seed_keypair(seed);
  const webKey = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  const signer = new Signer(seed);
  const streamId = filler(16, 97);
  const ts0 = Date.now() * 1000;
  let seq = 0;
  const seal = (unit, keyframe) => signer.sealUnit(unit, {
    codec: 'h264', keyframe, streamId, seq: seq++, timestampUs: ts0 + seq,
  });
  const out = [];
  for (const [label, unit, keyframe] of picks) {
    const count = Math.max(64, Math.min(4000, Math.floor(FRAME_BUDGET / unit.length)));
    const sealedUnits = Array.from({ length: count }, () => seal(unit, keyframe));
    const sig = sodium.crypto_sign_detached(unit, privateKey);
    // Verdicts: a sealed unit is accepted, one with a slice byte changed
    // is not; WebCrypto accepts the unit and refuses it with a byte changed.
    const v0 = new Verifier(signer.publicKey, POLICY);
    const tampered = sealedUnits[1].slice();
    tampered[tampered.length - 10] ^= 1;
    check(`verifyUnit ${label}`, v0.verifyUnit(sealedUnits[0], { codec: 'h264' }).ok,
      v0.verifyUnit(tampered, { codec: 'h264' }).ok);
    v0.free();
    const bad = unit.slice();
    bad[bad.length - 10] ^= 1;
    check(`WebCrypto ${label}`, await crypto.subtle.verify('Ed25519', webKey, sig, unit),
      await crypto.subtle.verify('Ed25519', webKey, sig, bad));
    const runs = {
      verifyUnit() {
        const v = new Verifier(signer.publicKey, POLICY);
        const t0 = performance.now();
        for (const u of sealedUnits) {
          if (!v.verifyUnit(u, { codec: 'h264' }).ok) throw new Error(`verifyUnit dropped a genuine ${label}`);
        }
        const rate = perSecond(sealedUnits.length, t0);
        v.free();
        return rate;
      },
      webcrypto: () => rateAsync(() => crypto.subtle.verify('Ed25519', webKey, sig, unit)),
      sealUnit: () => rateSync((n) => { for (let i = 0; i < n; i++) seal(unit, keyframe); }),
    };
    const names = Object.keys(runs);
    const rates = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < 4; round++) {
      for (let j = 0; j < names.length; j++) {
        const name = names[(j + round) % names.length];
        const rate = await runs[name]();
        if (round > 0) rates[name].push(rate);
      }
    }
    const median = (r) => r.sort((a, b) => a - b)[1];
    const result = { label, bytes: unit.length, units: units.length, ...Object.fromEntries(names.map((n) => [n, median(rates[n])])) };
    // Where a unit's time goes (the hooked package, initialised by
    // sizeRows): µs per unit for each stage alone, median of 3 runs.
    if (!quick) {
      const { BenchUnit } = await import('/hooks/frameseal.js');
      const bench = new BenchUnit(sealedUnits[0], keyframe);
      result.stagesUs = [0, 1, 2, 3].map((stage) => {
        const n = Math.max(20, Math.floor(20_000_000 / unit.length));
        bench.run(stage, n);
        const us = [0, 1, 2].map(() => {
          const t0 = performance.now();
          bench.run(stage, n);
          return ((performance.now() - t0) * 1000) / n;
        });
        return median(us);
      });
      bench.free();
    }
    log('units', JSON.stringify(result));
    out.push(result);
  }
  signer.free();
  return out;
}

/**
 * The dashboard: TILES cameras (each its own key and Verifier) at FPS
 * frames per second, JPEG-like frames of 20–60 KiB, interleaved by tile as
 * they would arrive. One second of video is verified back to back on the
 * main thread; the time it takes is the main-thread cost per second.
 */
/**
 * One second of the dashboard's video: TILES cameras at FPS, JPEG-like
 * frames of 20–60 KiB (codec jpeg, random bytes), interleaved by tile.
 */
function dashboardFrames(codec = 'jpeg') {
  const TILES = 16;
  const FPS = 30;
  const MIN = 20 * 1024;
  const MAX = 60 * 1024;
  const pool = filler(MAX, 7);
  let x = 12345;
  const nextSize = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return MIN + (x % (MAX - MIN + 1));
  };
  const cams = Array.from({ length: TILES }, (_, i) => new Signer(filler(32, 1000 + i)));
  const streams = cams.map((_, i) => filler(16, 2000 + i));
  const ts0 = Date.now() * 1000;
  const frames = [];
  let bytes = 0;
  for (let t = 0; t < FPS; t++) {
    for (let tile = 0; tile < TILES; tile++) {
      const len = nextSize();
      bytes += len;
      frames.push([tile, cams[tile].signFrame(pool.subarray(0, len), {
        streamId: streams[tile], seq: t, timestampUs: ts0 + t * 33_333,
        keyframe: t === 0, codec,
      })]);
    }
  }
  return { TILES, FPS, cams, frames, bytes };
}

async function dashboard() {
  const { TILES, FPS, cams, frames, bytes } = dashboardFrames();
  const run = () => {
    const verifiers = cams.map((c) => new Verifier(c.publicKey, POLICY));
    const t0 = performance.now();
    for (const [tile, f] of frames) {
      if (!verifiers[tile].verify(f).ok) throw new Error('dashboard: a genuine frame was dropped');
    }
    const ms = performance.now() - t0;
    for (const v of verifiers) v.free();
    return ms;
  };
  run(); // warm-up
  const msPerSecond = [run(), run(), run()].sort((a, b) => a - b)[1];
  // Linking cost: `new Verifier` builds the key's tables once. Median of
  // 5 batches of 16 (one per camera key), per link.
  const batches = [];
  for (let b = 0; b < 5; b++) {
    const t0 = performance.now();
    const vs = cams.map((c) => new Verifier(c.publicKey, POLICY));
    batches.push((performance.now() - t0) / TILES);
    for (const v of vs) v.free();
  }
  batches.sort((a, b) => a - b);
  for (const c of cams) c.free();
  const result = {
    tiles: TILES,
    fps: FPS,
    meanFrameKiB: bytes / frames.length / 1024,
    msPerSecond,
    maxTiles: Math.floor((TILES * 1000) / msPerSecond),
    linkMs: batches[2],
  };
  log('dashboard', JSON.stringify(result));
  return result;
}

/**
 * Worker mode: GatePool with one worker per core of this machine (2), fresh
 * gates (one per tile, each on its own OffscreenCanvas) every round, frames
 * arriving one per task and transferred. The main thread's cost is what it
 * spends in push() (and the pool's posting of the frame) and in the pool's
 * message handlers (results back, batched by the workers), both timed; the
 * wall time of a whole batch gives the pool's throughput.
 * Median of 3 rounds after a warm-up.
 */
async function workerRows() {
  // Only the main package has the pool (pkg/mvp/ is a build, not a package).
  const { GatePool } = await import('/pkg/pool/index.js').catch(() => ({}));
  if (!GatePool) return null;
  const pool = new GatePool({ workers: 2 });
  let busy = 0;
  for (const lane of pool._lanes) {
    const handler = lane.worker.onmessage;
    lane.worker.onmessage = (e) => {
      const t = performance.now();
      handler(e);
      busy += performance.now() - t;
    };
  }
  const round = async (cams, frames, burst) => {
    const gates = await Promise.all(cams.map((c) => pool.open(new OffscreenCanvas(64, 48), c.publicKey, POLICY)));
    // Fresh buffers, as a WebSocket delivers them, each moved to its worker.
    const copies = frames.map(([tile, f]) => [tile, f.slice()]);
    busy = 0;
    const t0 = performance.now();
    const pending = [];
    // `burst` frames per task (1: as messages from 16 sockets arrive); the
    // timed part includes the pool's own microtask that posts them.
    await new Promise((done) => {
      const tick = new MessageChannel();
      let i = 0;
      tick.port1.onmessage = async () => {
        const t = performance.now();
        for (const end = Math.min(i + burst, copies.length); i < end; i++) {
          const [tile, f] = copies[i];
          pending.push(gates[tile].push(f, { transfer: true }));
        }
        await null;
        busy += performance.now() - t;
        if (i < copies.length) tick.port2.postMessage(0);
        else done();
      };
      tick.port2.postMessage(0);
    });
    const results = await Promise.all(pending);
    const wallMs = performance.now() - t0;
    if (results.some((r) => !r.ok)) throw new Error('worker mode: a genuine frame was dropped');
    for (const g of gates) g.close();
    return { wallMs, busyMs: busy };
  };
  const median = async (cams, frames, burst) => {
    await round(cams, frames, burst);
    const runs = [await round(cams, frames, burst), await round(cams, frames, burst), await round(cams, frames, burst)];
    const mid = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[1];
    return { wallMs: mid('wallMs'), busyMs: mid('busyMs') };
  };
  // 1 KiB opaque frames, 16 tiles × 250 (nothing to decode: verification alone).
  const small = Array.from({ length: 16 }, (_, i) => new Signer(filler(32, 3000 + i)));
  const payload = filler(1024, 9);
  const ts0 = Date.now() * 1000;
  const smallFrames = [];
  for (let t = 0; t < 250; t++) {
    for (let tile = 0; tile < small.length; tile++) {
      smallFrames.push([tile, small[tile].signFrame(payload, { seq: t, timestampUs: ts0 + t * 1000 })]);
    }
  }
  // Throughput: 16 frames per task (one per tile, as from a multiplexed
  // relay connection), so each worker gets them in one message.
  const oneKiB = await median(small, smallFrames, 16);
  // The dashboard's second of video, codec opaque: verification only, as in
  // the main-thread row (no decode on either side).
  const { TILES, FPS, cams, frames } = dashboardFrames('opaque');
  const dash = await median(cams, frames, 1);
  // Large stills: 8 tiles × 12 frames of 512 KiB, one frame per task, to
  // compare with the 512 KiB column (both cores hashing).
  const large = Array.from({ length: 8 }, (_, i) => new Signer(filler(32, 4000 + i)));
  const still = filler(512 * 1024, 11);
  const largeFrames = [];
  for (let t = 0; t < 12; t++) {
    for (let tile = 0; tile < large.length; tile++) {
      largeFrames.push([tile, large[tile].signFrame(still, { seq: t, timestampUs: ts0 + t * 1000 })]);
    }
  }
  const halfMiB = await median(large, largeFrames, 1);
  for (const c of [...small, ...cams, ...large]) c.free();
  pool.terminate();
  const result = {
    workers: pool.size,
    rate1k: smallFrames.length / (oneKiB.wallMs / 1000),
    mainMsPer1k: oneKiB.busyMs / smallFrames.length * 1000,
    rate512k: largeFrames.length / (halfMiB.wallMs / 1000),
    mainUsPer512k: halfMiB.busyMs / largeFrames.length * 1000,
    dashboard: { tiles: TILES, fps: FPS, mainMsPerSecond: dash.busyMs, wallMsPerSecond: dash.wallMs,
      maxTiles: Math.floor((TILES * 1000) / dash.wallMs) },
  };
  log('workers', JSON.stringify(result));
  return result;
}

/** Everything; `quick` (variant builds) skips the hooked and third-party rows. */
export async function runAll({ quick = false } = {}) {
  await init();
  await sodium.ready;
  const seed = filler(32, 42);
  const userAgent = navigator.userAgent;
  const rows = await sizeRows(seed, quick);
  const units = await unitRows(seed, quick);
  const dash = await dashboard();
  const workers = await workerRows();
  const tables = await runTables({ hooks: !quick });
  return { userAgent, rows, units, dashboard: dash, workers, tables };
}
