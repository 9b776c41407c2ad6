// frameseal/loader: picks, at load time, the build of the package this
// engine can run, initialises it and resolves to its module.
//
//   modern  ./frameseal.js      wasm32-unknown-unknown: SIMD, reference types,
//                               multi-value, bulk memory, sign extension,
//                               non-trapping float-to-int
//   mvp     ./mvp/frameseal.js  wasm32v1-none: WebAssembly 1.0, for older
//                               web views (Chrome/WebView < 96, Safari < 16.4,
//                               Firefox < 89)
//   js      ./mvp-js/frameseal.js  the mvp module compiled to JavaScript by
//                               binaryen's wasm2js, for engines with no
//                               WebAssembly at all (e.g. 32-bit ARM WPE
//                               kiosks since January 2026): ~50-100x slower,
//                               but a display that verifies slowly beats one
//                               that shows strangers
//
// Same JS API, same behaviour; only the instructions differ. The choice:
// WebAssembly.validate() on PROBE, a 73-byte module that uses every
// post-1.0 feature the modern build needs; an engine that refuses it gets
// the mvp build, and one with no WebAssembly at all the js build.
// `build: 'modern' | 'mvp' | 'js'` forces one.
//
// This file must parse where the mvp build is needed, so it is ES2017 at
// most (plus `import.meta`, which every glue module uses too): no
// top-level await, no optional chaining, no object spread.

/** The builds load() can pick, best first. */
export var BUILDS = ['modern', 'mvp', 'js'];

/**
 * The build the last successful load() initialised ('modern', 'mvp' or 'js'), or
 * null before that. A live binding: read it after `await load()`.
 */
export var loadedBuild = null;

// (module (memory 1)
//   (func (param externref) (result i32 i32)   ;; reference types, multi-value
//     i32.const 0 i32.extend8_s                ;; sign extension
//     f32.const 0 i32.trunc_sat_f32_s          ;; non-trapping float-to-int
//     i32.const 0 i32.const 0 i32.const 0 memory.fill   ;; bulk memory
//     v128.const i32x4 0 0 0 0 i32x4.extract_lane 0     ;; SIMD
//     i32.add))
// tests/js/loader.test.mjs checks that wabt refuses it with any one of
// these features switched off, and that it is these bytes.
var PROBE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60,
  0x01, 0x6f, 0x02, 0x7f, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01,
  0x00, 0x01, 0x0a, 0x2d, 0x01, 0x2b, 0x00, 0x41, 0x00, 0xc0, 0x43, 0x00,
  0x00, 0x00, 0x00, 0xfc, 0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc,
  0x0b, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x1b, 0x00, 0x6a,
  0x0b,
];

/** The probe module's bytes (a copy), for tests and for curious pages. */
export function probeBytes() {
  return new Uint8Array(PROBE);
}

var OPTIONS = ['build', 'wasm', 'webAssembly'];

// SPEC §4: options are read from their own properties only. A property
// another script (or a pollution bug) put on Object.prototype must not
// decide which build, or which WebAssembly bytes, become the verifier.
// Captured when this module loads, so that replacing
// Object.prototype.hasOwnProperty or Reflect.apply later steers nothing.
var hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
var apply = Reflect.apply;
var keysOf = Object.keys;

/** `object[key]` if `object` has that property itself, else undefined. */
function own(object, key) {
  return hasOwn(object, key) ? object[key] : undefined;
}

// The global object, for telling the engine's WebAssembly from one that is
// only inherited (an engine without it, with Object.prototype.WebAssembly
// set by a script, would otherwise hand that object the module's bytes).
var root = typeof globalThis !== 'undefined' ? globalThis
  : (typeof self !== 'undefined' ? self : undefined);

/** The engine's own WebAssembly object, or null. */
function engineWebAssembly() {
  if (typeof WebAssembly === 'undefined' || root === undefined || !hasOwn(root, 'WebAssembly')) return null;
  return root.WebAssembly === WebAssembly ? WebAssembly : null;
}

/**
 * Which build this engine can run: 'modern' if it validates the probe,
 * 'mvp' if it has WebAssembly but refuses the probe, 'js' if it has no
 * usable WebAssembly (no `WebAssembly.validate`).
 *
 * `webAssembly` (optional) stands in for the global `WebAssembly` object,
 * as a test hook: pass an object whose `validate` returns false to take
 * the mvp path on a modern engine, or null for an engine without it.
 */
export function detectBuild(webAssembly) {
  var api = arguments.length > 0 ? webAssembly : engineWebAssembly();
  if (api === null || (typeof api !== 'object' && typeof api !== 'function')) return 'js';
  var validate = own(api, 'validate');
  if (typeof validate !== 'function') return 'js';
  try {
    return apply(validate, api, [new Uint8Array(PROBE)]) ? 'modern' : 'mvp';
  } catch (e) {
    return 'mvp';
  }
}

// build -> the promise of its initialised module. No prototype: an
// inherited `modern` must not pass for a build already loaded.
var pending = Object.create(null);

// The .wasm of each WebAssembly build, next to this file. Literal
// `new URL(..., import.meta.url)` patterns, so that bundlers copy them.
function wasmUrl(build) {
  return build === 'modern'
    ? new URL('./frameseal_bg.wasm', import.meta.url)
    : new URL('./mvp/frameseal_bg.wasm', import.meta.url);
}

/**
 * Cold start (issue 19): the build's .wasm fetched and compiled while its
 * glue module (and the glue's own imports) are still being fetched, instead
 * of after them; resolves to a `WebAssembly.Module` for init. Undefined
 * (init fetches as usual) where there is nothing to gain or no way to do
 * it: not served over http(s) (Node, file: pages), or no fetch.
 */
function startCompile(build, api) {
  if (api === null || typeof fetch !== 'function') return undefined;
  var url;
  try {
    url = wasmUrl(build);
  } catch (e) {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  var compileStreaming = own(api, 'compileStreaming');
  var compile = own(api, 'compile');
  return fetch(url).then(function (response) {
    if (!response.ok) throw new Error('fetching ' + url + ' failed: HTTP ' + response.status);
    // Streaming needs the right MIME type; otherwise compile the bytes
    // (what wasm-bindgen's glue does too).
    var type = response.headers.get('Content-Type') || '';
    if (typeof compileStreaming === 'function' && type.split(';')[0].trim() === 'application/wasm') {
      return apply(compileStreaming, api, [response]);
    }
    return response.arrayBuffer().then(function (bytes) { return apply(compile, api, [bytes]); });
  });
}

// Literal specifiers, so that bundlers see (and copy) both builds.
function importBuild(build) {
  if (build === 'modern') return import('./frameseal.js');
  if (build === 'mvp') return import('./mvp/frameseal.js');
  return import('./mvp-js/frameseal.js');
}

/**
 * Loads and initialises the build this engine can run, and resolves to its
 * module (the same exports as frameseal.js: Verifier, Signer, FrameGate,
 * ...). Options, all optional (an unknown key rejects, as elsewhere in
 * the package):
 * - `build`: 'auto' (default), 'modern', 'mvp' or 'js': force a build;
 * - `wasm(build)`: returns what to give that build's `init` as
 *   `module_or_path` (a URL, a Response or a promise of one, bytes, a
 *   `WebAssembly.Module`), e.g. a fetch with `integrity`; by default each
 *   build fetches its own .wasm from next to its module, and compiles it
 *   while its JS is still loading;
 * - `webAssembly`: the test hook of detectBuild().
 * Loading the same build again resolves to the same, already initialised
 * module.
 */
export function load(options) {
  var opts = options === undefined ? Object.create(null) : options;
  var wasm;
  try {
    if (opts === null || typeof opts !== 'object') throw new Error('options must be an object');
    var keys = keysOf(opts);
    for (var i = 0; i < keys.length; i++) {
      if (OPTIONS.indexOf(keys[i]) < 0) {
        throw new Error('unknown option ' + JSON.stringify(keys[i]) + ' (known: ' + OPTIONS.join(', ') + ')');
      }
    }
    // Each option is read once, and only if the caller set it.
    wasm = own(opts, 'wasm');
    if (wasm !== undefined && typeof wasm !== 'function') {
      throw new Error('wasm must be a function (build) => module_or_path');
    }
    var build = own(opts, 'build');
    if (build === undefined) build = 'auto';
    if (build === 'auto') {
      build = hasOwn(opts, 'webAssembly') ? detectBuild(own(opts, 'webAssembly')) : detectBuild();
    } else if (BUILDS.indexOf(build) < 0) {
      throw new Error('build must be \'auto\', \'modern\', \'mvp\' or \'js\', got ' + JSON.stringify(build));
    }
  } catch (e) {
    return Promise.reject(e);
  }
  if (!pending[build]) {
    var chosen = build;
    // The .wasm is asked for before the glue's import (the caller's wasm()
    // too), so that both travel at once: a cold start waits for the
    // slower of the two, not their sum.
    var input;
    if (chosen !== 'js') {
      try {
        input = wasm === undefined ? startCompile(chosen, engineWebAssembly()) : apply(wasm, opts, [chosen]);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    // A failure is reported through init below, never as unhandled.
    if (input && typeof input.then === 'function') input.then(undefined, function () {});
    pending[chosen] = importBuild(chosen).then(function (module) {
      // The js build is ready once imported: there is nothing to fetch.
      if (typeof module.default !== 'function') return module;
      return module.default(input === undefined ? undefined : { module_or_path: input })
        .then(function () { return module; });
    });
    // A failed load can be retried (say, after a network error).
    pending[chosen].catch(function () { delete pending[chosen]; });
  }
  return pending[build].then(function (module) {
    loadedBuild = build;
    return module;
  });
}
