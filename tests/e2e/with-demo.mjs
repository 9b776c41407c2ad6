// Shared by the end-to-end tests that drive frameseal-demo (demo,
// demo-video, standalone, demo-integrity, faults): the demo and a browser
// of either engine for the length of a test, and the hue by which the
// page-side samplers tell one camera's colour from another's.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { launch } from './browsers.mjs';
import { DEMO_BIN, DEMO_BUILD, startDemo } from './demo-server.mjs';

/**
 * Starts frameseal-demo (`demoOptions` as startDemo's) and headless
 * `engine` (browsers.mjs), runs `body({ demo, browser })` and returns what
 * it returns; closes the browser and stops the demo whatever happened.
 */
export async function withDemo(engine, body, demoOptions = {}) {
  assert.ok(existsSync(DEMO_BIN), `no frameseal-demo binary at ${DEMO_BIN} (${DEMO_BUILD})`);
  const demo = await startDemo(demoOptions);
  let browser;
  try {
    browser = await launch(engine);
    return await body({ demo, browser });
  } finally {
    await browser?.close();
    demo.proc.kill();
  }
}

/**
 * Runs in the page (`page.evaluate(installHueOf)`, before a sampler that
 * uses it): defines `window.__hueOf([r, g, b])`, a pixel's hue in degrees
 * or null for blank, grey or black, and `window.__hueOfColour('#rrggbb')`.
 */
export function installHueOf() {
  window.__hueOf = ([r, g, b]) => {
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    if (max < 24 || (max - min) / max < 0.3) return null; // blank, grey or black
    const d = max - min;
    let h;
    if (max === r) h = 60 * (((g - b) / d) % 6);
    else if (max === g) h = 60 * ((b - r) / d + 2);
    else h = 60 * ((r - g) / d + 4);
    return (h + 360) % 360;
  };
  window.__hueOfColour = (hex) => window.__hueOf([1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
}
