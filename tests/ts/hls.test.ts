// Type-checks pkg/hls/index.d.ts (js/hls/index.d.ts) against hls.js's own
// types: an Hls instance is what attachFrameseal() takes, and the loader
// class is what hls.js's `fLoader` config accepts.
import Hls from 'hls.js';
import { FragmentFilter } from '../../pkg/frameseal.js';
import { attachFrameseal, framesealLoader, type FilterEvent, type FramesealHls } from '../../pkg/hls/index.js';

export function attach(video: HTMLVideoElement, linkedPublicKey: Uint8Array): FramesealHls {
  const hls = new Hls();
  const seal = attachFrameseal(hls, linkedPublicKey, {
    maxAgeMs: 5000,
    replayWindow: 64,
    FragmentFilter,
    onFilter: (e: FilterEvent) => { if (e.part !== null && e.kept === 0) console.log(e.sn, e.results.length); },
    onDrop: (r) => { if (!r.ok) console.log(r.reason); },
    stallAfterMs: null,
  });
  hls.attachMedia(video);
  const empty: number = seal.stats().hls.emptyPayloads;
  const skipped: number = seal.stats().skippedUntilKeyframe;
  const mime: string | null = seal.mimeType();
  void empty; void skipped; void mime;
  return seal;
}

export function configured(linkedPublicKey: Uint8Array): Hls {
  const fLoader = framesealLoader(linkedPublicKey, { onStall: (ms: number) => console.log(ms) });
  const hls = new Hls({ fLoader, lowLatencyMode: true });
  fLoader.frameseal.watch(document.createElement('video'));
  return hls;
}
