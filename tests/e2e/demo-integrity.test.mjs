// Integrity of the built package: pkg/integrity.json (written by
// tools/integrity.mjs in ./build.sh build) holds the SHA-384 of every .js and
// .wasm file in pkg/ as it is now, and a page that pins them the way the
// README shows (<link rel="modulepreload" integrity>, <script type="module"
// integrity>, fetch(wasm, { integrity }) handed to init) loads the package
// under the demo's strict CSP, and refuses a wasm that was changed, in
// headless Chromium and Firefox (browsers.mjs).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { integrityOf } from '../../tools/integrity.mjs';
import { ENGINES } from './browsers.mjs';
import { ROOT } from './demo-server.mjs';
import { withDemo } from './with-demo.mjs';

const PKG = path.join(ROOT, 'pkg');
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'";

function recorded() {
  const file = path.join(PKG, 'integrity.json');
  assert.ok(existsSync(file), 'pkg/integrity.json is missing (./build.sh build writes it)');
  return JSON.parse(readFileSync(file, 'utf8'));
}

test('pkg/integrity.json matches the SHA-384 of the files in pkg/', () => {
  const hashes = recorded();
  assert.deepEqual(hashes, integrityOf(PKG), 'every hash is current, no file is missing or extra');
  for (const name of ['frameseal.js', 'frameseal_bg.wasm']) {
    assert.match(hashes[name] ?? '', /^sha384-[A-Za-z0-9+/]{64}$/, name);
  }
  assert.ok(Object.keys(hashes).some((k) => k.startsWith('snippets/')), 'the modules frameseal.js imports');
});


/** The README's page: modulepreload + module script with integrity, wasm fetched with integrity. */
function pinnedPage(hashes) {
  const preloads = Object.entries(hashes).filter(([name]) => name.endsWith('.js')
    && (name === 'frameseal.js' || name.startsWith('snippets/')))
    .map(([name, sri]) => `<link rel="modulepreload" href="/pkg/${name}" integrity="${sri}">`).join('\n');
  const html = `<!doctype html><meta charset="utf-8"><title>loading</title>\n${preloads}
<script type="module" src="/www/sri-boot.js" integrity="BOOT"></script>`;
  const boot = `import init, { fingerprint } from '/pkg/frameseal.js';
try {
  const wasm = fetch('/pkg/frameseal_bg.wasm', { integrity: '${hashes['frameseal_bg.wasm']}' });
  await init({ module_or_path: wasm });
  document.title = 'ok ' + fingerprint(new Uint8Array(32).fill(9));
} catch (e) {
  document.title = 'refused ' + e.name;
}
`;
  return { html, boot };
}

/** The pinned page, as served and with its wasm changed, in `engine`. */
async function pinned(engine) {
  const hashes = recorded();
  await withDemo(engine, async ({ demo, browser }) => {
    const { createHash } = await import('node:crypto');
    const { html, boot } = pinnedPage(hashes);
    const bootSri = `sha384-${createHash('sha384').update(boot).digest('base64')}`;
    const run = async (tamper) => {
      const page = await browser.newPage();
      const violations = [];
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => console.log(`CSP ${e.violatedDirective}`));
      });
      page.on('console', ({ text }) => { if (text.startsWith('CSP')) violations.push(text); });
      const headers = { 'content-security-policy': CSP };
      const at = (pathname) => (url) => url.origin === demo.origin && url.pathname === pathname;
      await page.route(at('/www/sri.html'), () => ({
        headers: { ...headers, 'content-type': 'text/html' }, body: html.replace('BOOT', bootSri) }));
      await page.route(at('/www/sri-boot.js'), () => ({
        headers: { ...headers, 'content-type': 'text/javascript' }, body: boot }));
      if (tamper) {
        await page.route(at('/pkg/frameseal_bg.wasm'), () => {
          const body = Buffer.from(readFileSync(path.join(PKG, 'frameseal_bg.wasm')));
          body[body.length - 1] ^= 1;
          return { headers: { 'content-type': 'application/wasm' }, body };
        });
      }
      await page.goto(`${demo.origin}/www/sri.html`);
      // The boot script's verdict: 'ok …' or 'refused …'.
      await page.waitForFunction(() => /^(ok|refused) /.test(document.title), null, { timeout: 60_000 });
      const title = await page.title();
      await page.close();
      return { title, violations };
    };
    const good = await run(false);
    assert.match(good.title, /^ok [a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/, good.title);
    assert.deepEqual(good.violations, [], 'no CSP violation');
    const bad = await run(true);
    assert.equal(bad.title, 'refused TypeError', 'fetch with integrity refuses a changed wasm');
  });
}

for (const engine of ENGINES) {
  describe(engine, () => {
    test('a page that pins the hashes loads the package; a changed wasm is refused', {
      timeout: 120_000,
    }, () => pinned(engine));
  });
}
