// Compile-time checks of the FragmentFilter / MseGate types in
// pkg/frameseal.d.ts (SPEC §7): run `npx tsc -p tests/ts`. Nothing here
// runs; every `@ts-expect-error` line must be a type error.
import { FragmentFilter, MseGate } from '../../pkg/frameseal.js';
import type { FilterResult, FilteredSegment, FragmentFilterStats, MseAppendResult, MseGateStats } from '../../pkg/frameseal.js';

declare const key: Uint8Array;
declare const bytes: Uint8Array;
declare const video: HTMLVideoElement;

const f = new FragmentFilter(key, { maxAgeMs: 5000, tables: 'compact' });
f.init(bytes);
const out: FilteredSegment = f.filter(bytes);
const init: Uint8Array | null = out.init;
const kept: Uint8Array | null = out.bytes;
for (const r of out.results as FilterResult[]) {
  if (r.ok && !r.kept) console.log(r.notKept, r.seq);
  if (!r.ok) console.log(r.reason);
}
const s: FragmentFilterStats = f.stats();
console.log(init, kept, s.skippedUntilKeyframe, s.unvouchedKeyframes, f.mimeType());

export async function plays(): Promise<void> {
  const g = new MseGate(video, key, { stallAfterMs: 2000, onStall: (ms: number) => console.log(ms) });
  const r: MseAppendResult = await g.append(bytes);
  const stats: MseGateStats = g.stats();
  console.log(r.appended, stats.drawn, g.live, g.mimeType);
  g.close();
  // @ts-expect-error: a video element, not a canvas
  new MseGate(document.createElement('canvas'), key);
  // @ts-expect-error: an unknown option
  new FragmentFilter(key, { maxAge: 5 });
}
