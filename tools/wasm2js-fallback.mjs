// Turns a wasm-bindgen `--target bundler` build of the WebAssembly 1.0 module
// into pure JavaScript, for engines with no `WebAssembly` at all:
// binaryen's wasm2js compiles frameseal_bg.wasm to frameseal_bg.wasm.js, and
// three generated spots of the glue are adapted to it. Each adaptation names
// the exact text it replaces and fails the build when that text is missing,
// so a wasm-bindgen upgrade cannot silently break the fallback.
//
//   node tools/wasm2js-fallback.mjs <dir>   (run by ./build.sh build on pkg/mvp-js)
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.resolve(process.argv[2] ?? path.join(ROOT, 'pkg', 'mvp-js'));

function fail(message) {
  console.error(`tools/wasm2js-fallback.mjs: ${message}`);
  process.exit(1);
}

function replaceOnce(text, from, to, what) {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) fail(`${what}: expected exactly one "${from.slice(0, 60)}…" in the glue`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

const wasm = path.join(dir, 'frameseal_bg.wasm');
execFileSync(path.join(ROOT, 'node_modules', '.bin', 'wasm2js'), [wasm, '-O2', '-o', path.join(dir, 'frameseal_bg.wasm.js')], { stdio: 'inherit' });
rmSync(wasm);
rmSync(`${wasm}.d.ts`, { force: true });

// The entry module imports the compiled JavaScript instead of the .wasm.
const entryPath = path.join(dir, 'frameseal.js');
writeFileSync(entryPath, replaceOnce(readFileSync(entryPath, 'utf8'),
  'import * as wasm from "./frameseal_bg.wasm";', 'import * as wasm from "./frameseal_bg.wasm.js";', 'entry import'));

let glue = readFileSync(path.join(dir, 'frameseal_bg.js'), 'utf8');
// wasm2js grows memory by replacing its ArrayBuffer, without detaching the
// old one: the glue's cached views must compare buffers, not lengths.
glue = replaceOnce(glue,
  'cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0',
  'cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.buffer !== wasm.memory.buffer',
  'Uint8Array view of memory');
glue = replaceOnce(glue,
  'cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)',
  'cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer !== wasm.memory.buffer',
  'DataView of memory');
// wasm2js passes a 64-bit import argument as two 32-bit halves (low, high).
glue = replaceOnce(glue,
  `(arg0) {
    // Cast intrinsic for \`U64 -> Externref\`.
    const ret = BigInt.asUintN(64, arg0);`,
  `(low, high) {
    // Cast intrinsic for \`U64 -> Externref\`, as wasm2js calls it.
    const ret = (BigInt(high >>> 0) << BigInt(32)) | BigInt(low >>> 0);`,
  'U64 cast');
writeFileSync(path.join(dir, 'frameseal_bg.js'), glue);
console.log(`${path.relative(ROOT, dir)}/: pure-JS fallback (wasm2js), ${readFileSync(path.join(dir, 'frameseal_bg.wasm.js')).length} bytes`);
