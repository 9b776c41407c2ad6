// Shared by the end-to-end tests: where the demo's release binary is,
// starting `frameseal-demo` or a plain server for pkg/, and a page (in any
// engine of browsers.mjs) that records what went wrong in it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The relay demo (demo/): `cargo build --release -p frameseal-demo`. */
export const DEMO_BIN = process.env.FRAMESEAL_DEMO_BIN
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'release', 'frameseal-demo');
export const DEMO_BUILD = 'cargo build --release -p frameseal-demo';
export { CHROMIUM_ARGS } from './browsers.mjs';

/**
 * Starts `frameseal-demo --port 0` (with `env` for its environment, if
 * given); resolves once it prints its URL.
 */
export function startDemo({ env } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(DEMO_BIN, ['--port', '0', '--root', ROOT], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env ? { env } : {}),
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`frameseal-demo printed no URL within 30 s:\n${out}${err}`));
    }, 30_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\/www\//);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[0], origin: `http://127.0.0.1:${m[1]}` });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`frameseal-demo exited with ${code}:\n${out}${err}`));
    });
  });
}

/**
 * A page of `browser` (browsers.mjs) that records CSP violations, page
 * errors and console errors. Both engines report a CSP violation as a
 * `securitypolicyviolation` event (recorded in window.__csp and logged as a
 * console error here); Firefox also reports it as a page error of its own.
 */
export async function openPage(browser, viewport = { width: 1320, height: 1000 }) {
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on('pageerror', (message) => problems.push(`page error: ${message}`));
  page.on('console', ({ type, text }) => { if (type === 'error') problems.push(`console: ${text}`); });
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  return { page, problems };
}

// What the page gets for pkg/frameseal.js in place of the modern build: a
// module re-exporting another build (issue 9). The JS build has no .wasm to
// fetch, so its init functions have nothing to do.
const BUILD_SHIMS = {
  mvp: "export * from './mvp/frameseal.js';\nexport { default } from './mvp/frameseal.js';\n",
  js: "export * from './mvp-js/frameseal.js';\nexport default async function init() {}\nexport function initSync() {}\n",
};

/**
 * Makes `page` run another build of the package wherever it imports
 * pkg/frameseal.js: 'mvp' (pkg/mvp/, WebAssembly 1.0) or 'js' (pkg/mvp-js/,
 * and the page's `WebAssembly` deleted before any script runs, as on an
 * engine without it); 'modern' changes nothing. Call before page.goto.
 * Returns the paths under /pkg/ the page requested, to check which build ran.
 */
export async function useBuild(page, build) {
  const requests = [];
  page.on('request', (url) => {
    const { pathname } = new URL(url);
    if (pathname.startsWith('/pkg/')) requests.push(pathname);
  });
  if (build === 'modern') return requests;
  assert.ok(BUILD_SHIMS[build], `unknown build ${build}`);
  if (build === 'js') await page.addInitScript(() => { delete globalThis.WebAssembly; });
  await page.route((url) => url.pathname === '/pkg/frameseal.js',
    () => ({ contentType: 'text/javascript', body: BUILD_SHIMS[build] }));
  return requests;
}

/** Fails on any CSP violation, page error or console error the page recorded. */
export async function noProblems(page, problems) {
  const csp = await page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], 'no securitypolicyviolation events');
  assert.deepEqual(problems, [], 'no page errors, no console errors');
}


const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };

/**
 * Serves `page` (HTML) at / and `pkg` (default pkg/) at /pkg/ on 127.0.0.1, a
 * free port; `extra` maps other paths to `{ type, body }`. The server's
 * `requests` lists every path asked for, workers' requests included (which
 * not every engine's page events show).
 */
export function startPkgServer(page, pkg = path.join(ROOT, 'pkg'), extra = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(url.pathname);
    if (Object.hasOwn(extra, url.pathname)) {
      res.writeHead(200, { 'content-type': extra[url.pathname].type });
      res.end(extra[url.pathname].body);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    const file = url.pathname.startsWith('/pkg/')
      ? path.join(pkg, path.normalize(decodeURIComponent(url.pathname.slice(5))).replace(/^(\.\.[/\\])+/, ''))
      : null;
    if (!file || !file.startsWith(pkg + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  server.requests = requests;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
