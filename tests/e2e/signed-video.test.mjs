// SignedVideoGate (frameseal/signed-video, pkg/signed-video/) with WebCodecs,
// in each engine of FRAMESEAL_E2E_ENGINES (browsers.mjs): the Axis recording
// whose picture 137 was changed after signing goes through the gate whole
// (SignedVideoGate.mp4, hold mode), the released pictures are decoded with a
// VideoDecoder and drawn on a canvas, and each drawn picture's pixels
// (SHA-256 of the canvas's RGBA) are compared with the same picture decoded
// in the same engine from the untampered recording (axis_signed_test_h264.mp4:
// the same bitstream but for picture 137 and the SEIs). Asserts that:
// - every picture of the authentic GOPs (0-123 and 186-247, as `frameseal
//   verify --signed-video` counts them) is drawn once, and matches the
//   untampered recording pixel for pixel;
// - no picture of the tampered GOP (124-185) is ever drawn;
// - the same file decoded without the gate (mark mode: everything
//   released) does show a changed picture 137, so the pixel check can fail.
//
// WebCodecs' VideoDecoder: Chromium has it (Debian's build decodes H.264 in
// software); so does Firefox since 130 (Debian's firefox-esr 153 here
// decodes this file too), not Firefox ESR 128 and older; Safari is not
// tested here. Needs pkg/ built (./build.sh build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { ENGINES, withBrowser } from './browsers.mjs';
import { ROOT, startPkgServer } from './demo-server.mjs';

const FIXTURES = path.join(ROOT, 'tests/fixtures/signed-video');
const TAMPERED = 'axis_signed_test_h264_modified_frame_137.mp4';
const ORIGINAL = 'axis_signed_test_h264.mp4';
/** The tampered GOP, in decode order (frameseal verify --signed-video). */
const TAMPERED_GOP = [124, 185];

const PAGE = `<!doctype html><meta charset="utf-8"><title>signed video</title>
<canvas id="screen" width="480" height="640"></canvas>
<script type="module">
import init, { SignedVideoGate } from '/pkg/signed-video/frameseal_signed_video.js';
await init();
const fetchBytes = async (name) => new Uint8Array(await (await fetch('/f/' + name)).arrayBuffer());
const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
const ctx = document.getElementById('screen').getContext('2d', { willReadFrequently: true });

// Decodes \`pictures\` (released by a gate) with a VideoDecoder, draws each
// output on the canvas and returns { frame index: SHA-256 of its pixels }.
// Each chunk's timestamp is its picture's decode-order index, so that
// every output names the picture it is.
async function decodeAndDraw(config, pictures) {
  const support = await VideoDecoder.isConfigSupported(config);
  if (!support.supported) throw new Error('VideoDecoder does not support ' + config.codec);
  const drawn = [];
  const errors = [];
  const decoder = new VideoDecoder({
    output: (frame) => {
      ctx.drawImage(frame, 0, 0, 480, 640);
      drawn.push({ frame: frame.timestamp, pixels: ctx.getImageData(0, 0, 480, 640).data });
      frame.close();
    },
    error: (e) => errors.push(String(e)),
  });
  decoder.configure(config);
  for (const p of pictures) {
    decoder.decode(new EncodedVideoChunk({ type: p.type, timestamp: p.frame, data: p.data }));
  }
  await decoder.flush();
  decoder.close();
  if (errors.length) throw new Error('decode errors: ' + errors.join('; '));
  const out = {};
  for (const d of drawn) out[d.frame] = hex(await crypto.subtle.digest('SHA-256', d.pixels));
  return { digests: out, order: drawn.map((d) => d.frame) };
}

window.run = async (tampered, original) => {
  const gated = SignedVideoGate.mp4(await fetchBytes(tampered));
  const reference = SignedVideoGate.mp4(await fetchBytes(original));
  const naive = SignedVideoGate.mp4(await fetchBytes(tampered), { mode: 'mark' });
  return {
    codec: gated.decoderConfig.codec,
    reports: gated.reports,
    referenceReports: reference.reports,
    stats: gated.stats,
    released: gated.pictures.map((p) => p.frame),
    gated: await decodeAndDraw(gated.decoderConfig, gated.pictures),
    reference: await decodeAndDraw(reference.decoderConfig, reference.pictures),
    naive: await decodeAndDraw(naive.decoderConfig, naive.pictures),
  };
};
window.ready = true;
</script>`;

for (const engine of ENGINES) test(`${engine}: the released pictures of the tampered recording decode to the original pixels; the tampered GOP is never drawn`, {
  timeout: 180_000,
}, async () => {
  assert.ok(existsSync(path.join(ROOT, 'pkg/signed-video/frameseal_signed_video.js')), 'pkg/signed-video/ is not built (./build.sh build)');
  const extra = {};
  for (const name of [TAMPERED, ORIGINAL]) {
    extra[`/f/${name}`] = { type: 'video/mp4', body: readFileSync(path.join(FIXTURES, name)) };
  }
  const server = await startPkgServer(PAGE, path.join(ROOT, 'pkg'), extra);
  try {
    await withBrowser(engine, async (browser) => {
      const page = await browser.newPage();
      const problems = [];
      page.on('pageerror', (message) => problems.push(message));
      page.on('console', ({ type, text }) => { if (type === 'error') problems.push(text); });
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
      const out = await page.evaluate(([t, o]) => window.run(t, o), [TAMPERED, ORIGINAL]);

      const verdicts = out.reports.map((r) => [r.firstFrame, r.frames, r.verdict]);
      assert.deepEqual(verdicts, [[0, 62, 'authentic'], [62, 62, 'authentic'], [124, 62, 'tampered'],
        [186, 62, 'authentic'], [248, 8, 'pending']]);
      assert.ok(out.referenceReports.every((r) => r.verdict === 'authentic'));
      const authentic = out.reports.filter((r) => r.verdict === 'authentic')
        .flatMap((r) => Array.from({ length: r.frames }, (_, i) => r.firstFrame + i));
      assert.deepEqual(out.released, authentic, 'every picture of the authentic GOPs released, in decode order');

      const drawn = out.gated.order;
      const [from, to] = TAMPERED_GOP;
      assert.equal(drawn.filter((f) => f >= from && f <= to).length, 0, 'no picture of the tampered GOP drawn');
      assert.deepEqual([...drawn].sort((a, b) => a - b), authentic, 'each released picture drawn once');
      assert.equal(drawn.length, 186);
      for (const f of drawn) {
        assert.equal(out.gated.digests[f], out.reference.digests[f], `picture ${f}: the original's pixels`);
      }
      // Without the gate the tampered picture is shown, and it differs.
      assert.equal(out.naive.order.length, 256);
      assert.notEqual(out.naive.digests[137], out.reference.digests[137], 'picture 137 was visibly changed');
      assert.equal(out.naive.digests[136], out.reference.digests[136]);
      assert.equal(out.stats.dropped.tampered, 62);
      console.log(`${engine}: ${out.codec}, drawn ${drawn.length}, reference ${out.reference.order.length}, `
        + `naive ${out.naive.order.length}; dropped ${JSON.stringify(out.stats.dropped)}`);
      assert.deepEqual(problems, []);
    });
  } finally {
    server.close();
  }
});
