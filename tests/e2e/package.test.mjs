// The npm package as a user gets it: `npm pack` of pkg/, the tarball
// installed into scratch projects in a temp dir, then used
// - from Node (initSync with the wasm file found through the package's exports),
// - by TypeScript (the exports' types, moduleResolution nodenext),
// - from a plain <script type="module"> page,
// - through Vite: a copy of examples/vite/ built with `vite build`, its
//   output loaded in a page, where it must really verify; and the same
//   project under Vite's dev server;
// each page in headless Chromium and Firefox (browsers.mjs).
//
// Needs pkg/ built by ./build.sh build (FRAMESEAL_PKG overrides), the repo's
// node_modules (vite, typescript, playwright-core, puppeteer-core) and Debian's
// chromium and firefox-esr.
// Installs nothing from the network: the tarball has no dependencies.
// Run: node --test tests/e2e/package.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ENGINES, launch } from './browsers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PKG = path.resolve(process.env.FRAMESEAL_PKG ?? path.join(ROOT, 'pkg'));
const NPM_QUIET = ['--no-audit', '--no-fund', '--offline', '--loglevel=error'];

/** What the tarball must hold, exactly. */
const EXPECTED_FILES = [
  'README.md', 'package.json', 'frameseal.js', 'frameseal.d.ts', 'frameseal_bg.wasm', 'frameseal_bg.wasm.d.ts',
  'webrtc/index.js', 'webrtc/index.d.ts', 'webrtc/sender.js', 'webrtc/receiver.js', 'webrtc/worker.js',
  'pool/index.js', 'pool/index.d.ts', 'pool/worker.js',
  'hls/index.js', 'hls/index.d.ts',
  'loader.js', 'loader.d.ts',
  'mvp/frameseal.js', 'mvp/frameseal.d.ts', 'mvp/frameseal_bg.wasm', 'mvp/frameseal_bg.wasm.d.ts',
  'mvp-js/frameseal.js', 'mvp-js/frameseal.d.ts', 'mvp-js/frameseal_bg.js', 'mvp-js/frameseal_bg.wasm.js',
  'signed-video/frameseal_signed_video.js', 'signed-video/frameseal_signed_video.d.ts',
  'signed-video/frameseal_signed_video_bg.wasm', 'signed-video/frameseal_signed_video_bg.wasm.d.ts',
];

let work;
let tarball;
let packed;

/** Runs a command; its output, or an error carrying its output. */
function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${e.status}):\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/**
 * A scratch project in `work` with the tarball installed; returns its path.
 * Made once per run: every engine's tests use the same project.
 */
function scratchProject(name, files = {}) {
  const dir = path.join(work, name);
  if (existsSync(path.join(dir, 'node_modules', 'frameseal'))) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }, null, 2));
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  run('npm', ['install', ...NPM_QUIET, tarball], dir);
  return dir;
}

const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json', '.css': 'text/css' };

/** Serves `dir` on 127.0.0.1 (a free port), noting each path asked for in `requested`; resolves to { server, origin }. */
function serve(dir, requested = []) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requested.push(url.pathname);
    let file = path.join(dir, path.normalize(decodeURIComponent(url.pathname)));
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!file.startsWith(dir + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}

/** Opens `url` in `browser`, waits for window.result, returns it with the page's errors. */
async function pageResult(browser, url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (message) => errors.push(message));
  page.on('console', ({ type, text }) => { if (type === 'error' || type === 'warning') errors.push(text); });
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
    return { result: await page.evaluate(() => window.result), errors };
  } finally {
    await page.close();
  }
}

before(async () => {
  assert.ok(existsSync(path.join(PKG, 'package.json')), `${PKG} is missing: run ./build.sh build first`);
  work = mkdtempSync(path.join(tmpdir(), 'frameseal-package-'));
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', work, PKG], ROOT));
  tarball = path.join(work, packed.filename);
});

after(() => {
  if (work && !process.env.FRAMESEAL_KEEP_TMP) rmSync(work, { recursive: true, force: true });
});

test('npm pack: the manifest is complete and the tarball holds exactly the package', () => {
  const manifest = JSON.parse(readFileSync(path.join(PKG, 'package.json'), 'utf8'));
  for (const field of ['name', 'version', 'description', 'license', 'repository', 'exports', 'types', 'files', 'sideEffects']) {
    assert.ok(manifest[field], `package.json has ${field}`);
  }
  assert.equal(manifest.name, 'frameseal');
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.license, 'MIT OR Apache-2.0');
  assert.deepEqual(Object.keys(manifest.exports).sort(), [
    '.', './frameseal.d.ts', './frameseal.js', './frameseal_bg.wasm', './hls', './hls/index.js', './loader', './loader.js',
    './mvp', './mvp-js', './mvp-js/frameseal.js', './mvp/frameseal.js', './mvp/frameseal_bg.wasm', './package.json',
    './pool', './pool/index.js', './pool/worker.js',
    './signed-video', './signed-video/frameseal_signed_video.js', './signed-video/frameseal_signed_video_bg.wasm',
    './webrtc', './webrtc/index.js', './webrtc/receiver.js', './webrtc/sender.js',
  ]);
  assert.equal(packed.name, 'frameseal');
  const files = packed.files.map((f) => f.path);
  const snippets = files.filter((f) => f.startsWith('snippets/'));
  assert.ok(snippets.some((f) => f.endsWith('/js/canvas.js')) && snippets.some((f) => f.endsWith('/js/video.js')), `snippets: ${snippets}`);
  assert.equal(new Set(snippets.map((f) => f.split('/')[1])).size, 1, `one snippet folder: ${snippets}`);
  const mvpSnippets = files.filter((f) => f.startsWith('mvp/snippets/'));
  assert.ok(mvpSnippets.some((f) => f.endsWith('/js/canvas.js')), `mvp/snippets: ${mvpSnippets}`);
  const jsSnippets = files.filter((f) => f.startsWith('mvp-js/snippets/'));
  assert.ok(jsSnippets.some((f) => f.endsWith('/js/canvas.js')), `mvp-js/snippets: ${jsSnippets}`);
  const svSnippets = files.filter((f) => f.startsWith('signed-video/snippets/'));
  // The binding's inline JS, js/mse.js for SignedVideoMseGate (the
  // player MseGate uses) and js/canvas.js (the timers and liveness
  // attribute of MseGate's stall rule, src/wasm/screen.rs), in one folder.
  assert.deepEqual(svSnippets.map((f) => f.split('/').slice(3).join('/')).sort(), ['inline0.js', 'js/canvas.js', 'js/mse.js'],
    `signed-video/snippets: the binding's inline JS, js/canvas.js and js/mse.js: ${svSnippets}`);
  assert.equal(new Set(svSnippets.map((f) => f.split('/')[2])).size, 1, `one signed-video snippet folder: ${svSnippets}`);
  assert.deepEqual(files.filter((f) => !/^(mvp\/|mvp-js\/|signed-video\/)?snippets\//.test(f)).sort(), [...EXPECTED_FILES].sort());
  const readme = readFileSync(path.join(PKG, 'README.md'), 'utf8');
  for (const words of ['Verifier', 'Signer', 'FrameGate', 'VideoGate', 'fingerprint', 'pairingCode',
    '<script type="module">', 'Vite', 'initSync', '--target web', 'RTCRtpScriptTransform']) {
    assert.ok(readme.includes(words), `the README covers ${words}`);
  }
  console.log(`# ${packed.filename}: ${packed.files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);
});

test('Node: the installed tarball verifies a frame (initSync with the wasm file from the exports)', () => {
  const dir = scratchProject('node-app', {
    'relay.mjs': `
import { readFileSync } from 'node:fs';
import { initSync, Verifier, Signer, fingerprint, pairingCode, parsePairingCode } from 'frameseal';

initSync({ module: readFileSync(new URL(import.meta.resolve('frameseal/frameseal_bg.wasm'))) });
const camera = new Signer(new Uint8Array(32).fill(7));
const stranger = new Signer(new Uint8Array(32).fill(9));
const display = new Verifier(parsePairingCode(pairingCode(camera.publicKey)));
const frame = camera.signFrame(new TextEncoder().encode('a picture'), { codec: 'jpeg', keyframe: true });
const genuine = display.verify(Buffer.from(frame));
const out = {
  genuine: { ok: genuine.ok, codec: genuine.codec, payload: new TextDecoder().decode(genuine.payload) },
  replayed: display.verify(frame),
  foreign: display.verify(stranger.signFrame(new Uint8Array(4), {})),
  fingerprint: fingerprint(camera.publicKey),
  stats: display.stats(),
  resolved: ['frameseal/webrtc', 'frameseal/webrtc/sender.js', 'frameseal/webrtc/receiver.js', 'frameseal/package.json',
    'frameseal/signed-video', 'frameseal/signed-video/frameseal_signed_video_bg.wasm']
    .map((s) => import.meta.resolve(s).split('/node_modules/')[1]),
};
console.log(JSON.stringify(out));
`,
  });
  const out = JSON.parse(run(process.execPath, ['relay.mjs'], dir));
  assert.deepEqual(out.genuine, { ok: true, codec: 'jpeg', payload: 'a picture' });
  assert.deepEqual(out.replayed, { ok: false, reason: 'replayed' });
  assert.deepEqual(out.foreign, { ok: false, reason: 'foreign-key' });
  assert.match(out.fingerprint, /^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
  assert.equal(out.stats.accepted, 1);
  assert.deepEqual(out.resolved, ['frameseal/webrtc/index.js', 'frameseal/webrtc/sender.js',
    'frameseal/webrtc/receiver.js', 'frameseal/package.json', 'frameseal/signed-video/frameseal_signed_video.js',
    'frameseal/signed-video/frameseal_signed_video_bg.wasm']);
});

test('TypeScript: the exports carry types (moduleResolution nodenext)', () => {
  const dir = scratchProject('ts-app', {
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
        // The classes declare [Symbol.dispose] (`using`): the README says to add ESNext.Disposable.
        lib: ['ES2022', 'ESNext.Disposable', 'DOM'], types: [], skipLibCheck: false,
      },
      include: ['*.ts'],
    }),
    'app.ts': `
import init, { Verifier, Signer, type VerifyResult } from 'frameseal';
import { configure, createReceiverWorker, envelopeCodecs, protect, type ReceiverConfig } from 'frameseal/webrtc';
import initSignedVideo, { SignedVideoGate, type SignedVideoMp4 } from 'frameseal/signed-video';
await init();
const camera: Signer = Signer.generate();
const result: VerifyResult = new Verifier(camera.publicKey, { maxAgeMs: null }).verify(camera.signFrame(new Uint8Array(1)));
const reason: string = result.ok ? result.codec : result.reason;
const config: ReceiverConfig = { linkedPublicKey: camera.publicKey, options: { replayWindow: 0 } };
const fingerprint: Promise<string> = configure(createReceiverWorker(), config);
declare const receiver: RTCRtpReceiver;
void protect(receiver, createReceiverWorker(), { name: 'camera', mode: 'script-transform' });
const codecs: RTCRtpCodec[] = envelopeCodecs();
// @ts-expect-error 'now' cannot be posted to a worker
const bad: ReceiverConfig = { linkedPublicKey: camera.publicKey, options: { now: () => 0 } };
await initSignedVideo();
const recording: SignedVideoMp4 = SignedVideoGate.mp4(new Uint8Array(8), { mode: 'mark' });
const chunks: EncodedVideoChunk[] = recording.pictures.map((p) => new EncodedVideoChunk(p));
`,
  });
  run(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', dir], dir);
});

/**
 * A page (index.html) with `importMap`, an 8×8 canvas #screen and one
 * module script: `imports`, then `gateProbe({ FrameGate, Signer }, colours)`,
 * which pushes a stranger's PNG frame (colours.foreign), then the camera's
 * (colours.genuine), into a FrameGate on #screen and returns the camera,
 * both verdicts and the pixel drawn; then `body`, which sets window.result
 * (or window.result.error says what it threw).
 */
function gatePage(importMap, imports, body) {
  return `<!doctype html>
<meta charset="utf-8">
<script type="importmap">${JSON.stringify({ imports: importMap })}</script>
<canvas id="screen" width="8" height="8"></canvas>
<script type="module">
${imports}
async function gateProbe({ FrameGate, Signer }, colours) {
  const camera = Signer.generate();
  const stranger = Signer.generate();
  const png = async (colour) => {
    const c = new OffscreenCanvas(8, 8);
    const ctx = c.getContext('2d');
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, 8, 8);
    return new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
  };
  const canvas = document.getElementById('screen');
  const gate = new FrameGate(canvas, camera.publicKey, { stallAfterMs: null });
  const foreign = await gate.push(stranger.signFrame(await png(colours.foreign), { codec: 'png', keyframe: true }));
  const genuine = await gate.push(camera.signFrame(await png(colours.genuine), { codec: 'png', keyframe: true }));
  return { camera, foreign: [foreign.ok, foreign.reason, foreign.drawn], genuine: [genuine.ok, genuine.drawn],
    pixel: Array.from(canvas.getContext('2d').getImageData(4, 4, 1, 1).data) };
}
try {
${body}
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>
`;
}

/** A plain <script type="module"> page: the installed package loads and FrameGate draws a verified picture. */
async function plainPage(browser) {
  const dir = scratchProject('plain-app', {
    'index.html': gatePage({ frameseal: '/node_modules/frameseal/frameseal.js' },
      "import init, { FrameGate, Signer, fingerprint } from 'frameseal';", `
  await init();
  const { camera, ...probe } = await gateProbe({ FrameGate, Signer }, { foreign: '#0000ff', genuine: '#ff0000' });
  window.result = { ...probe, fingerprint: fingerprint(camera.publicKey) };`),
  });
  const { server, origin } = await serve(dir);
  try {
    const { result, errors } = await pageResult(browser, `${origin}/`);
    assert.equal(result.error, undefined, result.error);
    assert.deepEqual(result.foreign, [false, 'foreign-key', false]);
    assert.deepEqual(result.genuine, [true, true]);
    assert.deepEqual(result.pixel, [255, 0, 0, 255]);
    assert.deepEqual(errors, []);
  } finally {
    server.close();
  }
}

/** frameseal/loader in a plain page: its pick, with and without WebAssembly, and forced builds. */
async function loaderPage(browser) {
  const dir = scratchProject('loader-app', {
    'index.html': gatePage({ 'frameseal/loader': '/node_modules/frameseal/loader.js' },
      "import { load, detectBuild, loadedBuild } from 'frameseal/loader';", `
  const query = new URLSearchParams(location.search);
  if (query.has('nowasm')) delete window.WebAssembly; // an engine without WebAssembly
  const forced = query.get('build');
  const lib = await load(forced ? { build: forced } : {});
  const { camera: _, ...probe } = await gateProbe(lib, { foreign: '#00ff00', genuine: '#00ff00' });
  window.result = { detected: detectBuild(), loaded: loadedBuild, ...probe };`),
  });
  const CASES = [['', 'modern', 'modern'], ['?build=mvp', 'modern', 'mvp'], ['?build=js', 'modern', 'js'], ['?nowasm=1', 'js', 'js']];
  for (const [query, detected, loaded] of CASES) {
    const requested = [];
    const { server, origin } = await serve(dir, requested);
    try {
      const { result, errors } = await pageResult(browser, `${origin}/${query}`);
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.detected, detected, `${browser.engine} validates the probe; without WebAssembly: js`);
      assert.equal(result.loaded, loaded);
      assert.deepEqual(result.foreign, [false, 'foreign-key', false]);
      assert.deepEqual(result.genuine, [true, true]);
      assert.deepEqual(result.pixel, [0, 255, 0, 255]);
      assert.deepEqual(errors, []);
      const wasm = requested.filter((p) => p.endsWith('.wasm'));
      const expected = { modern: ['/node_modules/frameseal/frameseal_bg.wasm'], mvp: ['/node_modules/frameseal/mvp/frameseal_bg.wasm'], js: [] };
      assert.deepEqual(wasm, expected[loaded], 'only the chosen build is fetched, once');
      if (loaded !== 'js') {
        // Cold start: the loader asks for the .wasm before the glue module
        // has even been read (its own imports, the snippets, come after).
        const wasmAt = requested.indexOf(expected[loaded][0]);
        const glueImports = requested.findIndex((p) => p.includes('/snippets/'));
        assert.ok(glueImports > 0, `the glue's imports were fetched: ${requested.join(' ')}`);
        assert.ok(wasmAt < glueImports, `the .wasm is fetched while the glue loads: ${requested.join(' ')}`);
      }
      if (loaded === 'js') assert.ok(requested.includes('/node_modules/frameseal/mvp-js/frameseal_bg.wasm.js'), 'the JS build');
    } finally {
      server.close();
    }
  }
}

/** What examples/vite/main.js must have found. */
function assertExampleVerified({ result, errors }) {
  assert.equal(result.error, undefined, result.error);
  assert.deepEqual(result.genuine, { ok: true, codec: 'jpeg', payload: 'a picture' });
  assert.deepEqual(result.replayed, { ok: false, reason: 'replayed' });
  assert.deepEqual(result.foreign, { ok: false, reason: 'foreign-key' });
  assert.equal(result.workerFingerprint, result.fingerprint, 'the bundled receiver worker linked the same key');
  assert.equal(result.stats.accepted, 1);
  assert.deepEqual(errors, []);
}

/** A copy of examples/vite/ with the tarball installed. */
function viteProject(name) {
  const example = path.join(ROOT, 'examples', 'vite');
  const files = Object.fromEntries(['index.html', 'main.js', 'vite.config.js']
    .map((f) => [f, readFileSync(path.join(example, f), 'utf8')]));
  return scratchProject(name, files);
}

const VITE = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

let viteDist;

/** examples/vite built with `vite build` (once per run); its dist/ folder. */
function viteBuild() {
  if (viteDist) return viteDist;
  const dir = viteProject('vite-app');
  const log = run(process.execPath, [VITE, 'build', '--logLevel', 'warn'], dir);
  const dist = path.join(dir, 'dist');
  const assets = run('find', [dist, '-type', 'f'], dir).split('\n').filter(Boolean).map((f) => path.relative(dist, f)).sort();
  console.log(`# vite build: ${assets.join(' ')}${log.trim() ? `\n${log}` : ''}`);
  assert.ok(assets.some((f) => /^assets\/frameseal_bg-.*\.wasm$/.test(f)), 'the wasm file is emitted');
  assert.ok(assets.some((f) => /^assets\/receiver-.*\.js$/.test(f)), 'the receiver worker is bundled');
  viteDist = dist;
  return dist;
}

/** The Vite build's output verifies in a page of `browser`. */
async function viteBuilt(browser) {
  const { server, origin } = await serve(viteBuild());
  try {
    assertExampleVerified(await pageResult(browser, `${origin}/`));
  } finally {
    server.close();
  }
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Vite's dev server (examples/vite's vite.config.js) serves the package so that it verifies in `browser`. */
async function viteDev(browser) {
  const dir = viteProject('vite-dev-app');
  const port = await freePort();
  // No colours: with CI set, Vite's colours put escape codes inside the URL.
  const dev = spawn(process.execPath, [VITE, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vite printed no URL within 30 s:\n${output}`)), 30000);
      const seen = (d) => {
        output += d;
        // eslint-disable-next-line no-control-regex
        if (output.replace(/\x1b\[[0-9;]*m/g, '').includes(`127.0.0.1:${port}`)) { clearTimeout(timer); resolve(); }
      };
      dev.stdout.on('data', seen);
      dev.stderr.on('data', (d) => { output += d; });
      dev.on('exit', (code) => { clearTimeout(timer); reject(new Error(`vite exited with ${code}:\n${output}`)); });
    });
    const seen = await pageResult(browser, `http://127.0.0.1:${port}/`);
    // The dev client logs its connection as debug messages; errors and warnings are what count.
    assertExampleVerified(seen);
  } finally {
    dev.kill();
  }
}

for (const engine of ENGINES) {
  describe(engine, () => {
    let browser;
    before(async () => { browser = await launch(engine); });
    after(() => browser?.close());

    test('plain <script type="module">: the installed package loads and FrameGate draws a verified picture',
      { timeout: 120_000 }, () => plainPage(browser));

    test('plain page: frameseal/loader picks the modern build, the JS build without WebAssembly, and forced mvp and JS builds draw a verified picture',
      { timeout: 180_000 }, () => loaderPage(browser));

    test('Vite: examples/vite builds against the tarball and its output verifies',
      { timeout: 180_000 }, () => viteBuilt(browser));

    test('Vite dev server: examples/vite (its vite.config.js) serves the package so that it verifies',
      { timeout: 180_000 }, () => viteDev(browser));
  });
}
