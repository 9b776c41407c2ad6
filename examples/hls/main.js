// frameseal in front of hls.js (examples/hls/index.html says how to run it).
import init from 'frameseal';
import { attachFrameseal } from 'frameseal/hls';
import Hls from 'hls.js';

const params = new URLSearchParams(location.search);
const src = params.get('src') ?? '../../tests/fixtures/hls/mixup.m3u8';
const keySource = params.get('key') ?? '../../tests/fixtures/hls/camera.pub';
const maxAgeMs = params.has('maxAgeMs') ? Number(params.get('maxAgeMs')) : null;

/** The camera's public key: 64 hex digits, or the last word of a key file (`frameseal-public-key <hex>`). */
async function linkedKey(source) {
  const text = /^[0-9a-f]{64}$/i.test(source) ? source : await (await fetch(source)).text();
  const hex = text.trim().split(/\s+/).pop();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`no public key in ${source}`);
  return Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
}

function play(video, hls) {
  hls.attachMedia(video);
  hls.loadSource(src);
  video.play().catch(() => { /* autoplay refused: the controls start it */ });
  video.controls = true;
}

async function main() {
  await init();
  const key = await linkedKey(keySource);

  // Left: hls.js as a dashboard uses it.
  play(document.getElementById('naive'), new Hls());

  // Right: the same, with every init segment, segment and part verified
  // before hls.js sees it.
  const hls = new Hls();
  const out = document.getElementById('stats');
  const options = {
    maxAgeMs,
    onStall: (ms) => console.warn(`not live: no new verified picture for ${ms} ms`),
    onResume: () => console.info('live again'),
  };
  if (maxAgeMs === null) {
    // Recorded fixtures: neither old nor "future" pictures are dropped, and the element is live while it plays.
    options.maxFutureSkewMs = null;
    options.stallAfterMs = null;
  }
  const seal = attachFrameseal(hls, key, options);
  play(document.getElementById('gated'), hls);
  const show = () => {
    const s = seal.stats();
    const dropped = Object.entries(s.dropped).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
    out.textContent = `accepted ${s.accepted}, dropped: ${dropped}\n`
      + `skipped until keyframe ${s.skippedUntilKeyframe}, segments ${s.hls.segments}, parts ${s.hls.parts}, `
      + `with nothing kept ${s.hls.emptyPayloads}`;
    window.result = s;
  };
  setInterval(show, 250);
  show();
}

main().catch((e) => {
  document.getElementById('stats').textContent = String(e?.stack ?? e);
  window.result = { error: String(e?.stack ?? e) };
});
