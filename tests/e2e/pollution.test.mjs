// Prototype pollution in a real page (issue 14, finding 1; SPEC §4
// "Robustness rules"), in headless Chromium and Firefox (browsers.mjs).
//
// Before the page loads the package, another script on it (or a pollution
// bug) sets on Object.prototype: `wasm` (a function returning the .wasm to
// run), `build: 'js'`, `webAssembly`, `maxAgeMs: null`, `now` (a clock a
// minute behind), `workerUrl` (a worker script that accepts every frame)
// and `newPublicKey`. The page then loads the package through
// frameseal/loader and opens a GatePool, both with default options, and
// pushes a frame signed a minute ago and a fresh one. Asserted: the loader
// picked the modern build and fetched its own .wasm (the inherited wasm()
// was never called), the pool ran its own worker script, and the stale
// frame is dropped as stale there, the fresh one accepted, the gate's key
// unchanged. A second test asserts the same verdicts from a Verifier and a
// FrameGate on the page itself (their options are read by the wasm binding).
//
// Needs pkg/ built (./build.sh build) and Debian's chromium and firefox-esr.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { ENGINES, withBrowser } from './browsers.mjs';
import { ROOT, startPkgServer } from './demo-server.mjs';

const SKIP = existsSync(path.join(ROOT, 'pkg', 'pool', 'index.js')) ? false : 'pkg/ is not built (./build.sh build)';

// A worker that answers like the pool's, and accepts every frame.
const EVIL_WORKER = `self.onmessage = ({ data }) => {
  if (data.type === 'open') postMessage({ type: 'opened', id: data.id, linkedPublicKey: data.linkedPublicKey, build: 'modern' });
  if (data.type === 'push') postMessage({ type: 'pushed', items: data.items.map(({ id, n }) => ({ id, n, result: { ok: true, drawn: true } })) });
};`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>pollution</title>
<canvas id="screen" width="8" height="8"></canvas>
<script type="module">
const POLLUTION = {
  wasm: (build) => { window.wasmCalls.push(build); return fetch('/pkg/frameseal_bg.wasm'); },
  build: 'js',
  webAssembly: { validate: () => false },
  maxAgeMs: null,
  now: () => Date.now() - 60000,
  workerUrl: '/evil-worker.js',
  newPublicKey: new Uint8Array(32).fill(1),
};
// The test calls run(): another script gets there first and pollutes, then
// the page loads the package.
window.run = async () => {
  window.wasmCalls = [];
  const out = {};
  try {
    Object.assign(Object.prototype, POLLUTION);
    const loader = await import('/pkg/loader.js');
    const m = await loader.load();
    out.build = loader.loadedBuild;
    const camera = m.Signer.generate();
    let seq = 0;
    const signed = (ageMs) => camera.signFrame(new Uint8Array([1, 2, 3]), {
      seq: ++seq, timestampUs: (Date.now() - ageMs) * 1000, keyframe: true,
    });
    const verdict = (r) => (r.ok ? 'ok' : r.reason);

    const { GatePool } = await import('/pkg/pool/index.js');
    const pool = new GatePool();
    const gate = await pool.open(new OffscreenCanvas(8, 8), camera.publicKey);
    out.pool = {
      build: gate.build,
      stale: verdict(await gate.push(signed(60000))),
      fresh: verdict(await gate.push(signed(0))),
      keyKept: String(gate.linkedPublicKey) === String(camera.publicKey),
    };
    pool.terminate();

    const verifier = new m.Verifier(camera.publicKey);
    const withEmptyOptions = new m.Verifier(camera.publicKey, {});
    const frameGate = new m.FrameGate(document.getElementById('screen'), camera.publicKey, {});
    out.page = {
      verifier: [verdict(verifier.verify(signed(60000))), verdict(verifier.verify(signed(0)))],
      withEmptyOptions: [verdict(withEmptyOptions.verify(signed(60000))), verdict(withEmptyOptions.verify(signed(0)))],
      frameGate: [verdict(await frameGate.push(signed(60000))), verdict(await frameGate.push(signed(0)))],
    };
  } catch (e) {
    out.error = String(e && e.stack || e);
  } finally {
    for (const key of Object.keys(POLLUTION)) delete Object.prototype[key];
  }
  out.wasmCalls = window.wasmCalls;
  return JSON.stringify(out);
};
window.ready = true;
</script>
`;

/**
 * Opens PAGE in `engine` (the evil worker served beside it, so that a
 * request for it is seen at the server: worker requests do not show as the
 * page's in every engine); resolves to the page's result, the paths
 * requested and the page's problems.
 */
async function polluted(engine) {
  const server = await startPkgServer(PAGE, undefined, {
    '/evil-worker.js': { type: 'text/javascript', body: EVIL_WORKER },
  });
  try {
    return await withBrowser(engine, async (browser) => {
      const page = await browser.newPage();
      const problems = [];
      page.on('pageerror', (message) => problems.push(message));
      page.on('console', ({ type, text }) => { if (type === 'error') problems.push(text); });
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
      // Not waitForFunction while the page is polluted: Puppeteer polls with
      // a script of its own in the page's realm, which a polluted
      // Object.prototype breaks ("property descriptor's get field is
      // neither undefined nor a function"). The protocol awaits this
      // promise itself.
      const out = JSON.parse(await page.evaluate(() => window.run()));
      console.log(`${engine}: ${JSON.stringify(out)}`);
      return { out, requests: [...server.requests], problems };
    });
  } finally {
    server.close();
  }
}

for (const engine of ENGINES) {
  describe(engine, () => {
    let out;
    let requests;
    let problems;

    before(async () => {
      if (SKIP) return;
      ({ out, requests, problems } = await polluted(engine));
    });

    test('a page with a polluted Object.prototype: the loader and a GatePool run the package\'s own code and defaults', {
      skip: SKIP,
    }, () => {
      assert.equal(out.error, undefined, out.error);
      assert.deepEqual(out.wasmCalls, [], 'the inherited wasm() chose the bytes of the verifier');
      assert.equal(out.build, 'modern', 'the loader\'s build');
      assert.ok(!requests.includes('/evil-worker.js'), 'the pool started the inherited workerUrl');
      assert.ok(requests.includes('/pkg/pool/worker.js'), 'the pool started its own worker');
      const wasm = [...new Set(requests.filter((p) => p.endsWith('.wasm')))];
      assert.deepEqual(wasm, ['/pkg/frameseal_bg.wasm'], 'only the modern build\'s own .wasm was fetched');
      assert.ok(!requests.some((p) => p.startsWith('/pkg/mvp')), `no other build was loaded: ${requests}`);
      assert.deepEqual(out.pool, { build: 'modern', stale: 'stale', fresh: 'ok', keyKept: true });
      assert.deepEqual(problems, []);
    });

    test('a page with a polluted Object.prototype: Verifier and FrameGate judge with their defaults', {
      skip: SKIP,
    }, () => {
      assert.equal(out.error, undefined, out.error);
      assert.deepEqual(out.page, {
        verifier: ['stale', 'ok'],
        withEmptyOptions: ['stale', 'ok'],
        frameGate: ['stale', 'ok'],
      });
    });
  });
}
