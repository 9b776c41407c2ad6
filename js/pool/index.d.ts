import type { FrameGateOptions, FrameGateStats, GateResult } from '../frameseal.js';

/** FrameGate's result without `payload` (the payload stays in the worker). */
export type PooledGateResult = GateResult extends infer R ? (R extends unknown ? Omit<R, 'payload'> : never) : never;

/** FrameGate's options in a worker: everything but `now`. */
export type PooledGateOptions = Omit<FrameGateOptions, 'now'>;

/** A FrameGate running in one of a GatePool's workers. */
export interface PooledGate {
  /** The key frames are checked against (updated by an accepted rotation). */
  readonly linkedPublicKey: Uint8Array;
  /** The package build its worker runs (frameseal/loader's choice, or the forced one). */
  readonly build: 'modern' | 'mvp' | 'js';
  /** Verifies, decodes and draws in the worker; `transfer` moves the frame's buffer instead of copying it. */
  push(frame: Uint8Array, options?: { transfer?: boolean }): Promise<PooledGateResult>;
  /** FrameGate's counts. */
  stats(): Promise<FrameGateStats>;
  /** Closes the gate in its worker. */
  close(): void;
}

/** Options of a GatePool. */
export interface GatePoolOptions {
  /** Number of workers (default: one per core, at most 4). */
  workers?: number;
  /** Where pkg/pool/worker.js is served, if a bundler moved it. */
  workerUrl?: string | URL;
  /** Which build the workers load: 'auto' (default: frameseal/loader picks, as on the page) or a forced one. */
  build?: 'auto' | 'modern' | 'mvp' | 'js';
}

/** Web Workers that run FrameGates for a page's camera tiles. */
export declare class GatePool {
  constructor(options?: GatePoolOptions);
  /** How many workers the pool runs. */
  readonly size: number;
  /** A gate drawing to `canvas` (control of an HTMLCanvasElement moves to the worker). */
  open(canvas: HTMLCanvasElement | OffscreenCanvas, linkedPublicKey: Uint8Array, options?: PooledGateOptions): Promise<PooledGate>;
  /** Stops every worker; pending pushes reject. */
  terminate(): void;
}
