// Runs the Node tests against another build of the package in pkg/:
//   FRAMESEAL_PKG=pkg/mvp node --import ./tests/js/use-build.mjs --test tests/js/
// Every import of pkg/frameseal.js then resolves to $FRAMESEAL_PKG/frameseal.js
// (use-build-hooks.mjs), and lib.mjs's wasmBytes() reads that build's .wasm.
// `./build.sh test` runs tests/js/ once as is (the modern build) and this way
// for the WebAssembly 1.0 build and for the JS build (pkg/mvp-js: imported
// through js-build.mjs, with the global WebAssembly deleted first).
import { register } from 'node:module';

register('./use-build-hooks.mjs', import.meta.url);

// The JS build runs as on an engine without WebAssembly.
if ((process.env.FRAMESEAL_PKG ?? '').replace(/\/+$/, '') === 'pkg/mvp-js') delete globalThis.WebAssembly;
