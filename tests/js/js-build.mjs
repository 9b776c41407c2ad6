// What the Node tests import as pkg/frameseal.js when FRAMESEAL_PKG=pkg/mvp-js
// (use-build-hooks.mjs): the JS build (wasm2js, no WebAssembly) with the
// `init` / `initSync` entry points of the other builds. The JS build needs no
// initialisation; both return its exports (memory included), as theirs do.
import * as exports from '../../pkg/mvp-js/frameseal_bg.wasm.js';

export * from '../../pkg/mvp-js/frameseal.js';
export default async function init() { return exports; }
export function initSync() { return exports; }
