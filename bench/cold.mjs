// Cold start (issue 19 item 4), the node side of bench/cold.html: for each
// build, SAMPLES fresh browser contexts (empty HTTP cache, so the package is
// fetched and compiled every time) each open bench/cold.html once and report
// the phases from navigation to the first verified picture drawn on a
// FrameGate's canvas. Samples rotate through the builds, so a burst of load
// from elsewhere on the machine hits them alike. A benchmark: it asserts
// that the picture was verified and drawn, never a speed.

export const SAMPLES = 7;

/** The variants measured: the three builds with the split
 *  compileStreaming + init({ module_or_path }), and the wasm builds with a
 *  page's plain `await init()` (the total, and whether it streamed). */
const VARIANTS = [
  { build: 'modern', plain: false },
  { build: 'mvp', plain: false },
  { build: 'js', plain: false },
  { build: 'modern', plain: true },
  { build: 'mvp', plain: true },
  { build: 'modern', loader: true },
  { build: 'mvp', loader: true },
  { build: 'js', loader: true },
  // A display a network away from its server (Chromium's network
  // emulation: every request waits this long for its answer), where the
  // order of requests decides: the glue's import chain, then the .wasm.
  { build: 'modern', plain: true, latencyMs: 40 },
  { build: 'modern', loader: true, latencyMs: 40 },
];

/** The phases, from the page's marks (ms since navigation). */
const PHASES = [
  ['page', (m) => m.script],
  ['module', (m) => m.compiled - m.script],
  ['init', (m) => m.init - m.compiled],
  ['link', (m) => m.linked - m.init],
  ['verify', (m) => m.verified - m.linked],
  ['draw', (m) => m.drawn - m.verified],
  ['total', (m) => m.drawn],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** A JPEG still signed by a fresh camera, its key and a second camera's
 *  key, made once in a warm page before any sample (plain arrays, to pass
 *  into the fresh pages' init scripts). */
async function prepare(browser, origin) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/bench/cold.html?build=none`);
    return await page.evaluate(async () => {
      const { default: init, Signer } = await import('/pkg/frameseal.js');
      await init();
      const canvas = new OffscreenCanvas(640, 360);
      const ctx = canvas.getContext('2d');
      const g = ctx.createLinearGradient(0, 0, 640, 360);
      g.addColorStop(0, '#1f3a6e');
      g.addColorStop(1, '#ffb46b');
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, 640, 360);
      ctx.fillStyle = '#ffffff';
      ctx.font = '600 48px sans-serif';
      ctx.fillText('frameseal cold start', 80, 200);
      const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.82 })).arrayBuffer());
      const camera = Signer.generate();
      const frame = camera.signFrame(jpeg, { keyframe: true, codec: 'jpeg' });
      return { frame: Array.from(frame), key: Array.from(camera.publicKey), otherKey: Array.from(Signer.generate().publicKey) };
    });
  } finally {
    await context.close();
  }
}

async function once(browser, origin, data, { build, plain, loader, latencyMs }) {
  const context = await browser.newContext();
  try {
    // As tests/e2e does for the JS build: no WebAssembly before any script.
    if (build === 'js') await context.addInitScript(() => { delete globalThis.WebAssembly; });
    await context.addInitScript((d) => { window.COLD = d; }, data);
    const page = await context.newPage();
    if (latencyMs) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: latencyMs, downloadThroughput: -1, uploadThroughput: -1,
      });
    }
    page.on('pageerror', (e) => process.stderr.write(`cold page error: ${e.message}\n`));
    await page.goto(`${origin}/bench/cold.html?build=${build}${plain ? '&init=plain' : ''}${loader ? '&via=loader' : ''}`);
    await page.waitForFunction(() => window.coldResult !== undefined, null, { timeout: 60_000 });
    const r = await page.evaluate(() => window.coldResult);
    if (r.error) throw new Error(`cold start, ${build}${plain ? ' (init())' : ''}${loader ? ' (load())' : ''}: ${r.error}`);
    if (!r.crossOriginIsolated) throw new Error('cold page is not cross-origin isolated');
    return r;
  } finally {
    await context.close();
  }
}

/**
 * Runs the cold-start samples in `browser` against the server at `origin`
 * (which serves /bench/ and /pkg/ with pkg/mvp/ and pkg/mvp-js/);
 * returns per variant each phase's median and min in ms, whether the
 * .wasm was stream-compiled, and the next link's cost.
 */
export async function coldStart(browser, origin, samples = SAMPLES) {
  const data = await prepare(browser, origin);
  const runs = VARIANTS.map(() => []);
  for (let i = 0; i < samples; i++) {
    for (const [v, variant] of VARIANTS.entries()) runs[v].push(await once(browser, origin, data, variant));
  }
  return VARIANTS.map((variant, v) => {
    const phases = {};
    for (const [name, f] of PHASES) {
      const xs = runs[v].map((r) => f(r.marks));
      phases[name] = { median: median(xs), min: Math.min(...xs) };
    }
    const xs = runs[v].map((r) => r.nextLinkMs);
    return {
      ...variant,
      samples,
      frameBytes: data.frame.length,
      phases,
      nextLink: { median: median(xs), min: Math.min(...xs) },
      streamed: runs[v].every((r) => r.streamed === true),
    };
  });
}
