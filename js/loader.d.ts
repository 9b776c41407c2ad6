// Types of frameseal/loader (js/loader.js): picks the modern build, the
// WebAssembly 1.0 build or its pure-JS compilation at load time.
import type * as Frameseal from './frameseal.js';

/** A build of the package: 'modern' (./frameseal.js), 'mvp' (./mvp/frameseal.js, WebAssembly 1.0) or 'js' (./mvp-js/frameseal.js, no WebAssembly). */
export type Build = 'modern' | 'mvp' | 'js';

/** The builds load() can pick, best first. */
export declare const BUILDS: readonly Build[];

/** The build the last successful load() initialised, or null before that. */
export declare let loadedBuild: Build | null;

/** The probe module's bytes: a module using every post-1.0 feature the modern build needs. */
export declare function probeBytes(): Uint8Array;

/** What a build's `init` accepts as `module_or_path`. */
export type WasmInput =
  | RequestInfo | URL | Response | BufferSource | WebAssembly.Module
  | Promise<RequestInfo | URL | Response | BufferSource | WebAssembly.Module>;

/** The object standing in for the global `WebAssembly` in detectBuild() (a test hook). */
export interface WebAssemblyLike {
  validate(bytes: BufferSource): boolean;
}

export interface LoadOptions {
  /** 'auto' (default): the probe decides; 'modern', 'mvp' or 'js' forces a build. */
  build?: 'auto' | Build;
  /** What to give the chosen build's init as module_or_path (default: its own .wasm beside its module; not called for 'js'). */
  wasm?: (build: Build) => WasmInput | undefined;
  /** Test hook: stands in for the global WebAssembly (null: an engine without it). */
  webAssembly?: WebAssemblyLike | null;
}

/** 'modern' if the engine validates the probe, 'mvp' if not, 'js' without a usable WebAssembly. */
export declare function detectBuild(webAssembly?: WebAssemblyLike | null): Build;

/** Loads and initialises the build this engine can run; resolves to its module. */
export declare function load(options?: LoadOptions): Promise<typeof Frameseal>;
