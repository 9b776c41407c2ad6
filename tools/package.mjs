// Turns wasm-pack's pkg/ into the complete npm package (run by
// `./build.sh build` after wasm-pack and wasm-opt; `node tools/package.mjs [pkgDir]`).
//
// - copies the WebRTC workers and their page helper (js/webrtc/) to pkg/webrtc/;
// - copies the hls.js integration (js/hls/) to pkg/hls/ (it imports
//   '../frameseal.js'); hls.js itself is an optional peer dependency;
// - copies the build-picking loader (js/loader.js, .d.ts) to pkg/loader.js;
//   the WebAssembly 1.0 build it can pick must already be in pkg/mvp/
//   (./build.sh build writes it with cargo + the wasm-bindgen CLI);
// - replaces the crate README wasm-pack copied with the one for JS users (js/README.md);
// - checks the Signed Video part (pkg/signed-video/, `frameseal/signed-video`:
//   SignedVideoGate, a module of its own built with the `signed-video` feature);
// - removes snippet folders frameseal.js (or mvp/frameseal.js) no longer
//   imports (left by older builds);
// - rewrites pkg/package.json: wasm-pack's name, version, description,
//   license, repository and keywords (from Cargo.toml) are kept, and
//   `exports`, `types`, `files` and `sideEffects` are set for the whole package.
//
// Fails (exit 1) with a message when something it needs is missing.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PKG = path.resolve(process.argv[2] ?? path.join(ROOT, 'pkg'));

/** The files of js/webrtc/ that ship, as pkg/webrtc/<name>. */
const WEBRTC = ['index.js', 'index.d.ts', 'sender.js', 'receiver.js', 'worker.js'];
/** The files of js/pool/ (GatePool) that ship, as pkg/pool/<name>. */
const POOL = ['index.js', 'index.d.ts', 'worker.js'];
/** The files of js/hls/ (frameseal in front of hls.js) that ship, as pkg/hls/<name>. */
const HLS = ['index.js', 'index.d.ts'];

function fail(message) {
  console.error(`tools/package.mjs: ${message}`);
  process.exit(1);
}

const generatedPath = path.join(PKG, 'package.json');
if (!existsSync(generatedPath)) fail(`${generatedPath} is missing: run wasm-pack first`);
const generated = JSON.parse(readFileSync(generatedPath, 'utf8'));
for (const field of ['name', 'version', 'description', 'license', 'repository']) {
  if (!generated[field]) fail(`wasm-pack's package.json has no ${field} (set it in Cargo.toml)`);
}
for (const file of ['frameseal.js', 'frameseal.d.ts', 'frameseal_bg.wasm']) {
  if (!existsSync(path.join(PKG, file))) fail(`${PKG}/${file} is missing: run wasm-pack with --out-name frameseal`);
  if (!existsSync(path.join(PKG, 'mvp', file))) fail(`${PKG}/mvp/${file} is missing: run ./build.sh build`);
}
for (const file of ['frameseal_signed_video.js', 'frameseal_signed_video.d.ts', 'frameseal_signed_video_bg.wasm']) {
  if (!existsSync(path.join(PKG, 'signed-video', file))) fail(`${PKG}/signed-video/${file} is missing: run ./build.sh build`);
}
for (const file of ['frameseal.js', 'frameseal_bg.js', 'frameseal_bg.wasm.js', 'frameseal.d.ts']) {
  if (!existsSync(path.join(PKG, 'mvp-js', file))) fail(`${PKG}/mvp-js/${file} is missing: run ./build.sh build`);
}

// The WebRTC workers load '../loader.js' (and the builds beside it): they work only from pkg/webrtc/.
mkdirSync(path.join(PKG, 'webrtc'), { recursive: true });
for (const file of WEBRTC) copyFileSync(path.join(ROOT, 'js', 'webrtc', file), path.join(PKG, 'webrtc', file));
// So does the gate pool's worker; the pool finds it next to itself.
mkdirSync(path.join(PKG, 'pool'), { recursive: true });
for (const file of POOL) copyFileSync(path.join(ROOT, 'js', 'pool', file), path.join(PKG, 'pool', file));
// The hls.js integration imports '../frameseal.js': it works only from pkg/hls/.
mkdirSync(path.join(PKG, 'hls'), { recursive: true });
for (const file of HLS) copyFileSync(path.join(ROOT, 'js', 'hls', file), path.join(PKG, 'hls', file));
copyFileSync(path.join(ROOT, 'js', 'README.md'), path.join(PKG, 'README.md'));
// The loader imports './frameseal.js' and './mvp/frameseal.js': it works only from pkg/.
for (const file of ['loader.js', 'loader.d.ts']) copyFileSync(path.join(ROOT, 'js', file), path.join(PKG, file));

// Only the snippet folder each build's module imports ships (wasm-pack keeps old ones).
for (const [dir, stem] of [[PKG, 'frameseal'], [path.join(PKG, 'mvp'), 'frameseal'], [path.join(PKG, 'signed-video'), 'frameseal_signed_video']]) {
  const moduleText = readFileSync(path.join(dir, `${stem}.js`), 'utf8');
  const snippets = path.join(dir, 'snippets');
  if (!existsSync(snippets)) continue;
  for (const name of readdirSync(snippets)) {
    if (!moduleText.includes(`./snippets/${name}/`)) rmSync(path.join(snippets, name), { recursive: true, force: true });
  }
}

/**
 * The `exports` entries of a module with types, `<stem>.js` beside
 * `<stem>.d.ts`: under its short name (`name`) and under its file name.
 */
function typedModule(name, stem) {
  const target = { types: `./${stem}.d.ts`, default: `./${stem}.js` };
  return { [name]: target, [`./${stem}.js`]: { ...target } };
}

const manifest = {
  name: generated.name,
  version: generated.version,
  description: generated.description,
  license: generated.license,
  repository: generated.repository,
  keywords: generated.keywords ?? [],
  type: 'module',
  main: './frameseal.js',
  module: './frameseal.js',
  types: './frameseal.d.ts',
  exports: {
    ...typedModule('.', 'frameseal'),
    './frameseal_bg.wasm': './frameseal_bg.wasm',
    './frameseal.d.ts': './frameseal.d.ts',
    ...typedModule('./loader', 'loader'),
    ...typedModule('./mvp', 'mvp/frameseal'),
    './mvp/frameseal_bg.wasm': './mvp/frameseal_bg.wasm',
    ...typedModule('./mvp-js', 'mvp-js/frameseal'),
    ...typedModule('./webrtc', 'webrtc/index'),
    './webrtc/sender.js': './webrtc/sender.js',
    './webrtc/receiver.js': './webrtc/receiver.js',
    ...typedModule('./pool', 'pool/index'),
    './pool/worker.js': './pool/worker.js',
    ...typedModule('./hls', 'hls/index'),
    ...typedModule('./signed-video', 'signed-video/frameseal_signed_video'),
    './signed-video/frameseal_signed_video_bg.wasm': './signed-video/frameseal_signed_video_bg.wasm',
    './package.json': './package.json',
  },
  files: [
    'frameseal.js',
    'frameseal.d.ts',
    'frameseal_bg.wasm',
    'frameseal_bg.wasm.d.ts',
    'snippets/',
    'loader.js',
    'loader.d.ts',
    'mvp/frameseal.js',
    'mvp/frameseal.d.ts',
    'mvp/frameseal_bg.wasm',
    'mvp/frameseal_bg.wasm.d.ts',
    'mvp/snippets/',
    'mvp-js/',
    'webrtc/',
    'pool/',
    'hls/',
    'signed-video/',
    'README.md',
  ],
  // frameseal/hls works with the page's own hls.js (any 1.5 or later); the
  // rest of the package needs nothing.
  peerDependencies: { 'hls.js': '>=1.5' },
  peerDependenciesMeta: { 'hls.js': { optional: true } },
  // The workers register their handlers when loaded; the snippets are
  // imported for their exports only, but wasm-pack marks them, and so do we.
  sideEffects: ['./snippets/*', './mvp/snippets/*', './signed-video/snippets/*', './mvp-js/*', './mvp-js/snippets/*', './webrtc/sender.js', './webrtc/receiver.js', './webrtc/worker.js',
    './pool/worker.js'],
};

// Every path the manifest names must exist.
const named = new Set([manifest.main, manifest.types, ...manifest.sideEffects.filter((p) => !p.includes('*'))]);
for (const target of Object.values(manifest.exports)) {
  for (const p of typeof target === 'string' ? [target] : Object.values(target)) named.add(p);
}
for (const p of named) if (!existsSync(path.join(PKG, p))) fail(`package.json names ${p}, which is not in ${PKG}`);

writeFileSync(generatedPath, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`${path.relative(process.cwd(), generatedPath) || generatedPath}: ${manifest.name}@${manifest.version}, `
  + `${Object.keys(manifest.exports).length} exports, mvp/ build, mvp-js/ (no WebAssembly), signed-video/, loader, webrtc/ workers, README for JS users`);
