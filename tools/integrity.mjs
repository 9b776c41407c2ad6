// Records Subresource Integrity hashes (SHA-384) of the package's files in
// pkg/integrity.json: { "frameseal.js": "sha384-...", "frameseal_bg.wasm":
// "sha384-...", "snippets/.../canvas.js": "sha384-...", "loader.js": ...,
// "mvp/frameseal.js": ..., "mvp/frameseal_bg.wasm": ..., ... }, keys
// relative to pkg/ (both builds and the loader), sorted. A page that loads the package pins these (README,
// "Loading with integrity checks"). Run by ./build.sh build after
// tools/package.mjs, so the hashes are of the files as shipped.
//
// Usage: node tools/integrity.mjs [PKG_DIR]        (default pkg)
//        node tools/integrity.mjs --check [PKG_DIR] (exit 1 if a hash is stale)
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const OUT = 'integrity.json';
// What a browser loads: the module, its wasm and the modules they import.
const LOADED = /\.(js|mjs|wasm)$/;

export function sri(bytes) {
  return `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
}

export function integrityOf(dir) {
  const out = {};
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(name);
      else if (entry.isFile() && LOADED.test(entry.name)) {
        out[name] = sri(readFileSync(path.join(dir, name)));
      }
    }
  };
  walk('');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const check = args[0] === '--check';
  const dir = (check ? args[1] : args[0]) ?? 'pkg';
  let hashes;
  try {
    hashes = integrityOf(dir);
  } catch (e) {
    console.error(`error: cannot read ${dir}: ${e.message} (build the package first: ./build.sh build)`);
    process.exit(1);
  }
  for (const required of ['frameseal.js', 'frameseal_bg.wasm', 'mvp/frameseal.js', 'mvp/frameseal_bg.wasm', 'mvp-js/frameseal.js', 'mvp-js/frameseal_bg.wasm.js', 'loader.js']) {
    if (!hashes[required]) {
      console.error(`error: ${dir}/${required} is missing`);
      process.exit(1);
    }
  }
  const file = path.join(dir, OUT);
  if (check) {
    const recorded = JSON.parse(readFileSync(file, 'utf8'));
    const stale = Object.keys({ ...hashes, ...recorded }).filter((k) => hashes[k] !== recorded[k]);
    if (stale.length) {
      console.error(`error: ${file} does not match: ${stale.join(', ')}`);
      process.exit(1);
    }
    console.log(`${file}: ${Object.keys(hashes).length} hashes match`);
  } else {
    writeFileSync(file, `${JSON.stringify(hashes, null, 2)}\n`);
    console.log(`${file}: SHA-384 of ${Object.keys(hashes).length} files`);
  }
}
