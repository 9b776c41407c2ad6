// The `tables` option's rows (issue 19 item 3): verification speed at
// 1 KiB with `tables: 'fast'` and `'compact'` against WebCrypto, and the
// WebAssembly memory each linked verifier costs, for N verifiers of
// distinct keys and N of one key (which share one table).
//
// Memory is measured in a fresh instance of the package per case (the glue
// imported under its own URL, so it instantiates its own module and
// memory): one verifier is linked first (it builds the shared base-point
// table and warms the allocator), then N more, kept alive; the growth of
// `memory.buffer.byteLength` over N is the cost per verifier. WebAssembly
// memory grows in 64 KiB pages, so with N = 64 a figure is good to 1 KiB.

const MIN_RUN_MS = 400;
/** Verifiers per memory case: a 64-tile dashboard. */
export const MEMORY_N = 64;
const POLICY = { maxAgeMs: 3_600_000 };

const log = (...a) => console.log('[bench tables]', ...a);

function perSecond(done, t0) {
  return done / ((performance.now() - t0) / 1000);
}

/** Deterministic bytes (xorshift32), as bench.mjs makes them. */
function filler(len, seed) {
  const out = new Uint8Array(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

let instances = 0;
/** A fresh instance of the package at `/pkg/` (own module, own memory). */
async function freshPackage() {
  instances += 1;
  const pkg = await import(`/pkg/frameseal.js?tables-memory=${instances}`);
  const exports = await pkg.default();
  return { pkg, memory: exports.memory };
}

/**
 * Memory growth for `n` verifiers with `tables`, of `n` distinct keys
 * (`keys.length === n`) or all of `keys[0]` (`shared`).
 */
async function memoryCase(tables, keys, warmKey, shared) {
  const { pkg, memory } = await freshPackage();
  const options = { ...POLICY, tables };
  const warm = new pkg.Verifier(warmKey, options);
  const before = memory.buffer.byteLength;
  const held = [];
  for (let i = 0; i < MEMORY_N; i++) held.push(new pkg.Verifier(shared ? keys[0] : keys[i], options));
  const grown = memory.buffer.byteLength - before;
  // Dropping every verifier frees the tables: linking them all again
  // reuses that memory instead of growing it.
  for (const v of held) v.free();
  const again = [];
  for (let i = 0; i < MEMORY_N; i++) again.push(new pkg.Verifier(shared ? keys[0] : keys[i], options));
  const regrown = memory.buffer.byteLength - before - grown;
  for (const v of again) v.free();
  warm.free();
  return { tables, shared, n: MEMORY_N, bytes: grown, perVerifier: grown / MEMORY_N, regrown };
}

/**
 * Every tables row. `Signer`, `Verifier` are the package's (initialised);
 * `BenchKey` the hooked package's, or undefined (no raw rows then).
 */
export async function tablesRows({ Signer, Verifier, BenchKey }) {
  // Memory first, before this page's other rows fill the allocators.
  const signers = Array.from({ length: MEMORY_N + 1 }, (_, i) => new Signer(filler(32, 1000 + i)));
  const keys = signers.map((s) => s.publicKey);
  const warmKey = keys.pop();
  const memory = [];
  for (const tables of ['fast', 'compact']) {
    for (const shared of [false, true]) {
      const m = await memoryCase(tables, keys, warmKey, shared);
      log('memory', JSON.stringify(m));
      memory.push(m);
    }
  }

  // Speed at 1 KiB: distinct genuine frames of one stream, a fresh
  // verifier per run (as the `Verifier.verify` row of bench.mjs).
  const signer = signers[0];
  const payload = filler(1024, 1024);
  const streamId = filler(16, 97);
  const ts0 = Date.now() * 1000;
  const frames = Array.from({ length: 6000 }, (_, seq) => signer.signFrame(payload, {
    streamId, seq, timestampUs: ts0 + seq, keyframe: seq === 0, codec: 'jpeg',
  }));
  const message = filler(1024, 1024);
  const seedKey = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', seedKey.privateKey, message));
  const rawKey = new Uint8Array(await crypto.subtle.exportKey('raw', seedKey.publicKey));
  const webKey = await crypto.subtle.importKey('raw', rawKey, { name: 'Ed25519' }, false, ['verify']);

  const verifyRow = (tables) => ({
    name: `frameseal \`Verifier.verify\`, \`tables: '${tables}'\` (whole frame, 1 KiB payload)`,
    key: `verify-${tables}`,
    run() {
      const v = new Verifier(signer.publicKey, { ...POLICY, tables });
      const t0 = performance.now();
      let done = 0;
      while (done < frames.length && performance.now() - t0 < MIN_RUN_MS) {
        if (!v.verify(frames[done]).ok) throw new Error(`tables ${tables}: a genuine frame was dropped`);
        done += 1;
      }
      const rate = perSecond(done, t0);
      v.free();
      return rate;
    },
  });
  const rawRow = (tables) => {
    const hooks = new BenchKey(rawKey, tables);
    hooks.load(message, signature);
    if (hooks.verifyPrepared(1) !== 1) throw new Error(`raw ${tables}: refused`);
    return {
      name: `frameseal raw check: PreparedKey, \`tables: '${tables}'\` (hooks, 1 KiB)`,
      key: `raw-${tables}`,
      hooks,
      run() {
        const t0 = performance.now();
        let done = 0;
        let chunk = 1;
        while (performance.now() - t0 < MIN_RUN_MS) {
          if (hooks.verifyPrepared(chunk) !== chunk) throw new Error(`raw ${tables}: refused`);
          done += chunk;
          chunk = Math.min(chunk * 2, 256);
        }
        return perSecond(done, t0);
      },
    };
  };
  const webcrypto = {
    name: "WebCrypto `subtle.verify('Ed25519')` (1 KiB, sequential awaits)",
    key: 'webcrypto',
    async run() {
      const t0 = performance.now();
      let done = 0;
      while (performance.now() - t0 < MIN_RUN_MS) {
        if (!(await crypto.subtle.verify('Ed25519', webKey, signature, message))) throw new Error('WebCrypto refused');
        done += 1;
      }
      return perSecond(done, t0);
    },
  };
  const rows = [verifyRow('fast'), verifyRow('compact'),
    ...(BenchKey ? [rawRow('fast'), rawRow('compact')] : []), webcrypto];
  const rates = rows.map(() => []);
  const warmups = 2;
  for (let round = 0; round < warmups + 3; round++) {
    for (let j = 0; j < rows.length; j++) {
      const k = (j + round) % rows.length;
      const rate = await rows[k].run();
      if (round >= warmups) rates[k].push(rate);
    }
  }
  const speed = rows.map((r, k) => ({ name: r.name, key: r.key, rate: rates[k].sort((a, b) => a - b)[1] }));
  for (const s of speed) log(s.key, Math.round(s.rate));
  for (const r of rows) r.hooks?.free();
  for (const s of signers) s.free();
  return { speed, memory };
}

/**
 * The tables rows alone (`node bench/run.mjs --tables-only`), or as part
 * of `runAll`: the package at /pkg/, and the hooked one at /hooks/ for the
 * raw rows when `hooks`.
 */
export async function runTables({ hooks = false } = {}) {
  const pkg = await import('/pkg/frameseal.js');
  await pkg.default();
  let BenchKey;
  if (hooks) {
    const hooked = await import('/hooks/frameseal.js');
    await hooked.default();
    BenchKey = hooked.BenchKey;
  }
  return tablesRows({ Signer: pkg.Signer, Verifier: pkg.Verifier, BenchKey });
}
