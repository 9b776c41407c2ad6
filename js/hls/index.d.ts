// Types of frameseal/hls (js/hls/index.js): frameseal in front of hls.js.
// hls.js's own types are not imported (the package's types must not need
// hls.js installed): an hls.js instance (1.5 or later) fits HlsLike, and the
// fLoader class fits hls.js's FragmentLoaderConstructor.

import type { FilterResult, FragmentFilter, FragmentFilterStats, VerifierOptions } from '../frameseal.js';

/** One sample's verdict, as FragmentFilter.filter() reports it. */
export type SampleResult = FilterResult;

/** What frameseal/hls counted besides the filter. */
export interface HlsCounts {
  /** Init segments loaded (and checked). */
  initSegments: number;
  /** Media segments filtered. */
  segments: number;
  /** LL-HLS parts filtered. */
  parts: number;
  /** Segments and parts of which no sample was kept (hls.js got no sample and treated them as gaps). */
  emptyPayloads: number;
  /** Segments that gave hls.js no sample, loaded again byte for byte: answered the same, not filtered (or counted) again. */
  repeats: number;
  /** Fragments refused (a bad or encrypted init segment, no init segment, an audio or subtitle rendition, after close()): hls.js got a load error. */
  refused: number;
}

/** What one filtered segment or part came to (onFilter). */
export interface FilterEvent {
  /** hls.js's media sequence number of the segment. */
  sn: number;
  /** The part's index within the segment, or null for a whole segment. */
  part: number | null;
  /** Samples handed to hls.js. */
  kept: number;
  /** One result per sample of the segment (other tracks' samples are not reported). */
  results: SampleResult[];
}

/** Options: those below, and every Verifier option (given to the FragmentFilter). */
export interface FramesealHlsOptions extends VerifierOptions {
  /** The FragmentFilter class to use (e.g. from the build loader's module); default the package's. */
  FragmentFilter?: typeof FragmentFilter;
  /** Called once per filtered segment or part. */
  onFilter?: (event: FilterEvent) => void;
  /** Called for each dropped sample (ok: false; a verified sample the chain rule skips is only in onFilter's results). */
  onDrop?: (result: SampleResult) => void;
  /** The element is not live: no new verified picture for stallAfterMs, or the one shown was captured longer ago. */
  onStall?: (msSinceLastDrawn: number) => void;
  /** A recent verified picture is shown again. */
  onResume?: () => void;
  /** Default 3000; null: the element is live once a verified picture is shown, and stays live. */
  stallAfterMs?: number | null;
}

/** The loader hls.js instantiates for each fragment load (its Loader<FragmentLoaderContext>). */
export interface FragmentLoaderLike {
  context: any;
  stats: any;
  load(context: any, config: any, callbacks: any): void;
  abort(): void;
  destroy(): void;
  getCacheAge(): number | null;
  getResponseHeader(name: string): string | null;
}

/** An fLoader class: new (hls.js config) => loader. */
export type FragmentLoaderClass = new (config: any) => FragmentLoaderLike;

/** The hls.js instance surface attachFrameseal() uses. */
export interface HlsLike {
  config: { loader: unknown; fLoader?: unknown };
  on(event: string, listener: (event: string, data: any) => void): void;
  off(event: string, listener: (event: string, data: any) => void): void;
  media?: HTMLMediaElement | null;
  levels?: ArrayLike<{ fragmentError?: number }>;
}

/** One hls.js instance's FragmentFilter, its fLoader class and the element's liveness. */
export declare class FramesealHls {
  constructor(linkedPublicKey: Uint8Array, options?: FramesealHlsOptions);
  /** The class for hls.js's `fLoader` config. */
  readonly fLoader: FragmentLoaderClass;
  /** FragmentFilter's stats plus this module's counts under `hls`. */
  stats(): FragmentFilterStats & { hls: HlsCounts };
  /** The MIME type of the stream (`video/mp4; codecs="…"`), or null before an init segment. */
  mimeType(): string | null;
  /** Keeps `media`'s data-frameseal-live attribute (and onStall/onResume) from now on. */
  watch(media: HTMLMediaElement): void;
  /** Stops watching the element. */
  unwatch(): void;
  /** Stops watching and listening; later loads through its fLoader fail (`frameseal: closed`), nothing unverified gets through. */
  close(): void;
}

/** The fLoader class for `new Hls({ fLoader })`; its FramesealHls is `.frameseal`. */
export declare function framesealLoader(
  linkedPublicKey: Uint8Array,
  options?: FramesealHlsOptions,
): FragmentLoaderClass & { frameseal: FramesealHls };

/** Puts a FragmentFilter in front of `hls` (before its first fragment loads), watches the media it attaches, and removes past gaps of dropped segments from hls.js's FragmentTracker (so a live player's memory stays flat). */
export declare function attachFrameseal(hls: HlsLike, linkedPublicKey: Uint8Array, options?: FramesealHlsOptions): FramesealHls;
