// Module resolution hooks of use-build.mjs: pkg/frameseal.js becomes
// $FRAMESEAL_PKG/frameseal.js (a directory relative to the repository), or
// for the JS build (pkg/mvp-js) js-build.mjs, which adds init/initSync.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../../', import.meta.url);
const FROM = new URL('pkg/frameseal.js', ROOT).href;
const dir = (process.env.FRAMESEAL_PKG ?? 'pkg').replace(/\/+$/, '');
const TO = dir === 'pkg/mvp-js'
  ? new URL('js-build.mjs', import.meta.url).href
  : new URL(`${dir}/frameseal.js`, ROOT).href;
if (!existsSync(fileURLToPath(TO))) throw new Error(`FRAMESEAL_PKG=${dir}: ${fileURLToPath(TO)} is missing`);

/** Resolves as Node does, then swaps the package's module for the chosen build's. */
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  return resolved.url === FROM ? { ...resolved, url: TO } : resolved;
}
