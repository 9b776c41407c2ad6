// One cold-start sample, in a page opened in a fresh browser context (empty
// HTTP cache, so the package is fetched and compiled every time):
// navigation to the first verified picture drawn on a FrameGate's canvas,
// through the package's own API as a page uses it. Every mark is
// performance.now(), i.e. milliseconds since navigation started
// (performance.timeOrigin). bench/cold.mjs drives it and sets, before any
// script runs, `window.COLD = { frame, key, otherKey }`: a JPEG frame signed
// beforehand, its camera's public key and a second camera's key.
//
// ?build=modern (pkg/), mvp (pkg/mvp/) or js (pkg/mvp-js/, in a page whose
// `WebAssembly` bench/cold.mjs deleted). ?init=plain: `await init()` as a
// page does (wasm-bindgen's glue fetches the .wasm and takes
// WebAssembly.instantiateStreaming when it is served as application/wasm);
// otherwise the .wasm is stream-compiled first
// (WebAssembly.compileStreaming) and handed to `init({ module_or_path })`,
// which splits fetch + compile from instantiation. ?via=loader: the
// package's `load({ build })` (pkg/loader.js), which fetches and compiles
// the .wasm while the glue module is still loading.

const now = () => performance.now();
const marks = { script: now() };
const query = new URLSearchParams(location.search);
const build = query.get('build');
const plain = query.get('init') === 'plain';
const viaLoader = query.get('via') === 'loader';
const DIRS = { modern: '/pkg/', mvp: '/pkg/mvp/', js: '/pkg/mvp-js/' };

/** Which path the glue took: instantiateStreaming that succeeded, or the
 *  bytes fallback (WebAssembly.instantiate on an ArrayBuffer). */
const seen = { streaming: false, fromBytes: false };
if (typeof WebAssembly === 'object') {
  const { instantiateStreaming, instantiate } = WebAssembly;
  if (instantiateStreaming) {
    WebAssembly.instantiateStreaming = async (...a) => {
      const out = await instantiateStreaming.apply(WebAssembly, a);
      seen.streaming = true;
      return out;
    };
  }
  WebAssembly.instantiate = (source, ...a) => {
    if (!(source instanceof WebAssembly.Module)) seen.fromBytes = true;
    return instantiate.call(WebAssembly, source, ...a);
  };
}

async function sample() {
  const dir = DIRS[build];
  if (!dir) throw new Error(`unknown build ${build}`);
  if (build === 'js' && typeof WebAssembly !== 'undefined') throw new Error('the JS build page still has WebAssembly');
  if (viaLoader) return finish(await loadThroughLoader(), null);
  const mod = await import(`${dir}frameseal.js`);
  marks.glue = now();
  let streamed = null;
  if (build === 'js') {
    // wasm2js: the module's import evaluated the whole build; no init.
    marks.compiled = marks.glue;
    marks.init = marks.glue;
  } else if (plain) {
    await mod.default();
    marks.compiled = marks.glue; // fetch + compile + instantiate are one call here
    marks.init = now();
    streamed = seen.streaming && !seen.fromBytes;
  } else {
    const response = await fetch(new URL(`${dir}frameseal_bg.wasm`, location.href));
    streamed = response.headers.get('content-type') === 'application/wasm';
    const module = await WebAssembly.compileStreaming(response);
    marks.compiled = now();
    await mod.default({ module_or_path: module });
    marks.init = now();
  }
  return finish(mod, streamed);
}

/** The package's loader: glue and .wasm at once; one phase up to init. */
async function loadThroughLoader() {
  const { load } = await import('/pkg/loader.js');
  const mod = await load({ build });
  marks.glue = marks.compiled = marks.init = now();
  return mod;
}

/** Link, verify and draw the first picture; then a second key's link. */
async function finish(mod, streamed) {
  const { key, frame, otherKey } = window.COLD;
  const bytes = (a) => Uint8Array.from(a);
  const canvas = document.getElementById('tile');
  const gate = new mod.FrameGate(canvas, bytes(key), { maxAgeMs: 3_600_000 });
  marks.linked = now();
  // FrameGate.push verifies synchronously and hands an accepted still to
  // the decoder; the promise resolves once it is drawn.
  const pushed = gate.push(bytes(frame));
  marks.verified = now();
  const r = await pushed;
  marks.drawn = now();
  if (!r.ok || r.drawn !== true) throw new Error(`first frame not drawn: ${JSON.stringify({ ok: r.ok, reason: r.reason, drawn: r.drawn, notDrawn: r.notDrawn })}`);
  // The picture is on the tile: the centre pixel is opaque and not black
  // (the fixture is a lit test picture).
  const [red, green, blue, alpha] = canvas.getContext('2d').getImageData(320, 180, 1, 1).data;
  if (alpha !== 255 || red + green + blue === 0) throw new Error(`tile not painted: ${[red, green, blue, alpha]}`);

  // A second camera linked in the same page: the per-key table alone
  // (the shared base-point table is built by the first link).
  const t = now();
  new mod.Verifier(bytes(otherKey)).free();
  const nextLinkMs = now() - t;
  gate.close();
  return { build, plain, viaLoader, marks, streamed, nextLinkMs, crossOriginIsolated: self.crossOriginIsolated };
}

sample().then(
  (r) => { window.coldResult = r; },
  (e) => { window.coldResult = { error: String(e && e.stack || e) }; },
);
