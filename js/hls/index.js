// frameseal in front of hls.js (ships as pkg/hls/index.js; import 'frameseal/hls'):
// every fMP4 init segment, media segment and LL-HLS part hls.js loads goes
// through a FragmentFilter (SPEC §7) before hls.js parses or appends a byte
// of it, so only verified samples with an intact reference chain, and only
// an init segment a verified keyframe vouched for, reach the SourceBuffer.
//
//   import init from 'frameseal';
//   import Hls from 'hls.js';
//   import { attachFrameseal } from 'frameseal/hls';
//   await init();
//   const hls = new Hls();
//   const seal = attachFrameseal(hls, linkedPublicKey, { onDrop: (r) => console.warn(r.reason) });
//   hls.loadSource('/cam/index.m3u8');
//   hls.attachMedia(video);          // data-frameseal-live on the <video>
//   seal.stats();                     // FragmentFilter's counts
//
// The hook: hls.js loads every fragment (init segments, media segments and
// LL-HLS parts alike) through the `fLoader` class of its config, which it
// reads at each load. attachFrameseal() puts a wrapper of the configured
// `loader` there. The wrapper loads with the real loader, and in its
// onSuccess hands hls.js the *filtered* bytes instead of the loaded ones;
// no onProgress is passed to the real loader, so hls.js never sees a chunk
// of unfiltered data, also with `progressive: true` (the filtered segment is
// then handed over as one chunk, then as the whole). Because nothing comes
// before that hook, bytes hls.js never got cannot be appended: what it
// buffers is what the filter kept.
//
// The init segment: hls.js first receives an *empty* body for EXT-X-MAP;
// the real one goes to the FragmentFilter only (`init()`). When a verified
// keyframe has vouched for it, `filter()` returns it once, cleaned; before
// handing hls.js the first samples, the integration puts that init segment
// in the place hls.js keeps EXT-X-MAP bodies (`frag.initSegment.data`).
// hls.js reads that place each time it (re)configures its transmuxer, and
// appends the init segment its remuxer builds from it together with the
// first samples after that, so only the vouched init ever reaches the
// SourceBuffer, also after level switches, discontinuities and transmuxer
// resets. Before anything is vouched, hls.js has no init segment to append
// and no sample to append with one. (Putting the init segment in front of
// every payload instead, which hls.js's passthrough remuxer would read, does
// not do: hls.js then drops LL-HLS parts after the first of a run.)
//
// Dropped samples: a segment with no kept sample reaches hls.js as a `moof`
// with no sample (an empty payload would fail hls.js's fMP4 probe and be
// reloaded without end). hls.js finds no media in it and treats it as a
// gap (no reload; the gap controller skips the hole once later media is
// buffered), as it does for any empty segment. What hls.js noted about the
// segment before (media from its parts) is cleared, so that it does see no
// media; attachFrameseal() keeps the level's consecutive-error count at
// zero, so a long run of dropped segments (another home's stream for a
// minute) is never escalated into a fatal error; and a segment hls.js asks
// for again byte for byte after it gave nothing (hls.js 1.7 in low-latency
// mode does, until media after it is published) gets the same answer after
// half its duration, not judged or counted again. An LL-HLS part with no kept sample is marked as a gap
// part (what EXT-X-PART's GAP=YES says) and its load ends in onAbort, so
// hls.js appends nothing for it and goes on at the next INDEPENDENT part:
// where the chain rule lets samples through again (hls.js reports the
// abort as a non-fatal `internalAbortedError`).
//
// Gaps are forgotten once they are history. hls.js notes every segment it
// treats as a gap in its FragmentTracker and never drops the note again
// while it plays on (it drops a tracker entry when the entry's media is
// evicted from the buffer, and a gap has no media to evict), so on a live
// stream each dropped segment would hold its Fragment for as long as the
// player runs. attachFrameseal() listens to LEVEL_UPDATED (each playlist
// reload) and removes, through the tracker's own removeFragment(), the gap
// entries of segments that have left the live playlist and lie behind the
// playhead: hls.js can neither load nor play them again, and the gap
// controller only looks ahead. hls.js has no public handle on its tracker;
// it is looked up on the instance (as hls.js 1.7 keeps it; tests/js/hls
// checks with the hls.js in node_modules), and where it is not found
// nothing is removed (hls.js's own behaviour). framesealLoader()
// never sees the hls.js instance, so it cannot do this: use
// attachFrameseal() for a long-running live player.
//
// Other tracks are removed by the filter: the init segment hls.js gets has
// one video track, so hls.js makes one video SourceBuffer and never waits
// for audio, whatever the playlist's CODECS say (its codec string comes from
// that init segment).
//
// Not supported, and refused rather than passed through: segments without an
// init segment (MPEG-TS, self-initialising fMP4), encrypted segments
// (EXT-X-KEY: hls.js decrypts after its loader, so the filter would see
// ciphertext) and alternate audio or subtitle renditions (EXT-X-MEDIA with a
// URI: nothing in them is sealed); such a fragment fails to load
// (FRAG_LOAD_ERROR, frameseal's reason in the response text: `frameseal:
// no-init-segment | encrypted | not-video | bad-init-segment | malformed |
// closed: …`). A load hls.js aborts while its bytes wait for their init
// segment ends in onAbort, never in onSuccess.
import * as frameseal from '../frameseal.js';

// SPEC §4: options are read from their own properties only; captured when
// this module loads, so a later change to Object.prototype steers nothing.
const hasOwn = Function.prototype.call.bind(Object.prototype.hasOwnProperty);
const keysOf = Object.keys;
/** `object[key]` if `object` has that property itself, else undefined. */
const own = (object, key) => (object !== null && typeof object === 'object' && hasOwn(object, key) ? object[key] : undefined);

/** Options this module reads itself; every other one goes to the FragmentFilter (as Verifier). */
const HLS_OPTIONS = new Set(['FragmentFilter', 'onFilter', 'onDrop', 'onStall', 'onResume', 'stallAfterMs']);
const DEFAULT_STALL_AFTER_MS = 3000;
const MAX_DURATION_MS = 2_147_483_647;
/** How often the element is checked for a new picture, at most (ms). */
const WATCH_INTERVAL_MS = 100;
/** Fragments remembered for the age of the picture on screen. */
const MAX_SPANS = 64;

/** A stable reason string, for a fragment this module refuses. */
class RefusedError extends Error {
  constructor(reason, message) {
    super(`frameseal/hls: ${message}`);
    this.reason = reason;
  }
}

function checkKey(key) {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new Error(`frameseal/hls: linkedPublicKey must be a Uint8Array of 32 bytes, got ${describe(key)}`);
  }
}

function describe(value) {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.length} bytes`;
  return typeof value;
}

function callback(options, name) {
  const fn = own(options, name);
  if (fn !== undefined && typeof fn !== 'function') throw new Error(`frameseal/hls: ${name} must be a function, got ${describe(fn)}`);
  return fn;
}

function stallAfter(options) {
  const value = own(options, 'stallAfterMs');
  if (value === undefined) return DEFAULT_STALL_AFTER_MS;
  if (value === null) return null;
  if (!Number.isInteger(value) || value < 1 || value > MAX_DURATION_MS) {
    throw new Error(`frameseal/hls: stallAfterMs must be an integer from 1 to ${MAX_DURATION_MS} or null, got ${value}`);
  }
  return value;
}

/** A copy of `bytes` (ArrayBuffer or view) as a Uint8Array of its own: the bytes judged are the bytes used. */
function copyOf(bytes) {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes.slice(0));
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice();
  throw new RefusedError('malformed', `a fragment's data is ${describe(bytes)}, not bytes (the loader's responseType must be arraybuffer)`);
}

/** Thrown for an LL-HLS part with no kept sample: its load ends in onAbort (see above). */
class SkippedPart extends Error {}

/**
 * What hls.js gets for a segment with no kept sample: a `moof` box holding
 * only an `mfhd`, no track and no sample. hls.js recognises fMP4 by a
 * `moof` (an empty payload fails its probe, and hls.js reloads the segment
 * without end), finds no media in it and treats the segment as a gap;
 * nothing of it reaches the SourceBuffer.
 */
const NO_SAMPLES = Uint8Array.of(0, 0, 0, 24, 0x6d, 0x6f, 0x6f, 0x66, 0, 0, 0, 16, 0x6d, 0x66, 0x68, 0x64, 0, 0, 0, 0, 0, 0, 0, 0);

const sameBytes = (a, b) => a.length === b.length && a.every((byte, i) => byte === b[i]);

/**
 * One hls.js instance's filter: the fLoader class, the FragmentFilter it
 * feeds, and (once the media is attached) the element's liveness. Made by
 * framesealLoader() or attachFrameseal().
 */
export class FramesealHls {
  constructor(linkedPublicKey, options = {}) {
    checkKey(linkedPublicKey);
    if (options === null || typeof options !== 'object') throw new Error(`frameseal/hls: options must be an object, got ${describe(options)}`);
    const Filter = own(options, 'FragmentFilter') ?? frameseal.FragmentFilter;
    if (typeof Filter !== 'function') {
      throw new Error('frameseal/hls: this build of frameseal has no FragmentFilter (pass one as options.FragmentFilter)');
    }
    const filterOptions = {};
    for (const key of keysOf(options)) if (!HLS_OPTIONS.has(key)) filterOptions[key] = options[key];
    this._onFilter = callback(options, 'onFilter');
    this._onDrop = callback(options, 'onDrop');
    this._onStall = callback(options, 'onStall');
    this._onResume = callback(options, 'onResume');
    this._stallAfterMs = stallAfter(options);
    const now = own(options, 'now');
    this._now = typeof now === 'function' ? () => Number(now()) : () => Date.now();
    this._filter = new Filter(linkedPublicKey, filterOptions);
    this._key = linkedPublicKey.slice();
    /** Init segment entries by hls.js Fragment: { ready: Promise, resolve, bytes }. */
    this._inits = new WeakMap();
    /** The entry whose bytes the filter was last given (init()). */
    this._current = null;
    /** The init segment the filter vouched for (returned once by filter()), put where hls.js keeps EXT-X-MAP bodies. */
    this._vouched = null;
    /** filter() calls in the order fragments finished loading. */
    this._queue = Promise.resolve();
    this._counts = { initSegments: 0, segments: 0, parts: 0, emptyPayloads: 0, repeats: 0, refused: 0 };
    /** The last segment that gave hls.js no sample: { level, sn, bytes }. */
    this._lastEmpty = null;
    /** Media-time spans of filtered fragments, with their kept samples' capture times. */
    this._spans = [];
    this._hls = null;
    /** hls.js's FragmentTracker, when attachFrameseal() found it: past gaps are removed from it. */
    this._tracker = null;
    this._media = null;
    this._closed = false;
    this.fLoader = makeLoaderClass(this);
  }

  /** FragmentFilter's stats, plus what this module counted: fragments seen, empty payloads handed to hls.js, refusals. */
  stats() {
    return { ...this._filter.stats(), hls: { ...this._counts } };
  }

  /** The MIME type of the stream the filter saw (`video/mp4; codecs="…"`), or null before an init segment. */
  mimeType() {
    try {
      return this._current ? this._filter.mimeType() : null;
    } catch {
      return null;
    }
  }

  /** Liveness of `media` (data-frameseal-live, onStall/onResume) from now on; attachFrameseal() calls it when hls.js attaches media. */
  watch(media) {
    this.unwatch();
    if (!media || typeof media.setAttribute !== 'function') return;
    this._media = media;
    this._live = false;
    this._lastTime = media.currentTime;
    this._lastDrawnAt = this._now();
    this._capturedMs = null;
    media.setAttribute('data-frameseal-live', 'false');
    this._timer = setInterval(() => this._check(), WATCH_INTERVAL_MS);
  }

  /** Stops watching the element (its attribute stays as it is). */
  unwatch() {
    if (this._timer !== undefined) clearInterval(this._timer);
    this._timer = undefined;
    this._media = null;
  }

  /**
   * Stops watching and listening; every later load through this fLoader
   * fails (`frameseal: closed`). The fLoader stays in hls.js's config: a
   * closed filter never lets unverified fragments through (destroy that
   * hls.js instance to play something else).
   */
  close() {
    this._closed = true;
    this.unwatch();
    const hls = this._hls;
    if (hls) {
      for (const [event, fn] of this._listeners ?? []) hls.off(event, fn);
      this._hls = null;
      this._tracker = null;
    }
  }

  _check() {
    const media = this._media;
    if (!media) return;
    let now;
    try {
      now = this._now();
    } catch (e) {
      reportLater(e);
      return;
    }
    if (!Number.isFinite(now)) return;
    const time = media.currentTime;
    if (time !== this._lastTime && media.readyState >= 2) {
      // A new picture is presented; the spans say when it was captured.
      this._lastTime = time;
      this._lastDrawnAt = now;
      this._capturedMs = this._capturedAt(time);
    }
    if (this._stallAfterMs === null) {
      if (!this._live && this._lastDrawnAt !== null && this._capturedMs !== null) this._setLive(true, now);
      return;
    }
    const sinceDrawn = now - this._lastDrawnAt;
    const recent = this._capturedMs !== null && now - this._capturedMs <= this._stallAfterMs;
    const live = this._capturedMs !== null && sinceDrawn <= this._stallAfterMs && recent;
    if (live !== this._live) this._setLive(live, now);
  }

  _setLive(live, now) {
    this._live = live;
    this._media?.setAttribute('data-frameseal-live', live ? 'true' : 'false');
    try {
      if (live) this._onResume?.();
      else this._onStall?.(now - this._lastDrawnAt);
    } catch (e) {
      reportLater(e);
    }
  }

  /** The capture time (ms) of the kept sample shown at media time `t`, interpolated within its fragment; null if unknown. */
  _capturedAt(t) {
    for (let i = this._spans.length - 1; i >= 0; i--) {
      const s = this._spans[i];
      if (t >= s.start - 0.05 && t <= s.end + 0.05) {
        const at = s.end > s.start ? Math.min(1, Math.max(0, (t - s.start) / (s.end - s.start))) : 1;
        return (s.firstUs + (s.lastUs - s.firstUs) * at) / 1000;
      }
    }
    return null;
  }

  /**
   * The entry of init segment `frag` (an hls.js Fragment), made on first
   * sight: `ready` settles when its load was checked, with `bytes` set, or
   * `error` (a refused init: the segments waiting for it fail too, until a
   * retried load of it succeeds).
   */
  _initEntry(frag) {
    let entry = this._inits.get(frag);
    if (!entry) {
      let resolve;
      const ready = new Promise((r) => { resolve = r; });
      entry = { ready, resolve, bytes: null, error: null };
      this._inits.set(frag, entry);
    }
    return entry;
  }

  /**
   * The bytes hls.js gets for a loaded fragment (an ArrayBuffer), or a
   * RefusedError. `context` is hls.js's FragmentLoaderContext.
   */
  async _process(context, data) {
    if (this._closed) throw new RefusedError('closed', 'this filter is closed');
    const frag = context.frag;
    if (!frag) throw new RefusedError('malformed', 'a fragment load without a fragment');
    const bytes = copyOf(data);
    // Alternate audio and subtitle renditions load through the same
    // fLoader: nothing in them is signed by the camera's video seals.
    if (frag.type !== undefined && frag.type !== 'main') {
      throw new RefusedError('not-video', `${frag.type} renditions cannot be verified (only the main video playlist is)`);
    }
    const method = frag.decryptdata?.method;
    if (method && method !== 'NONE') throw new RefusedError('encrypted', `encrypted segments (${method}) cannot be verified`);
    if (frag.sn === 'initSegment') {
      const entry = this._initEntry(frag);
      // Checked now (so a bad init fails its own load); given to the
      // filter before the first segment that uses it.
      try {
        entry.bytes = await this._enqueue(() => this._checkInit(bytes));
        entry.error = null;
      } catch (e) {
        entry.bytes = null;
        entry.error = e;
        throw e;
      } finally {
        entry.resolve();
      }
      this._counts.initSegments++;
      return new ArrayBuffer(0);
    }
    if (!frag.initSegment) throw new RefusedError('no-init-segment', 'a segment without an init segment (EXT-X-MAP): only fMP4 can be verified');
    const entry = this._initEntry(frag.initSegment);
    if (!entry.bytes) await entry.ready;
    if (!entry.bytes) throw entry.error ?? new RefusedError('bad-init-segment', 'the init segment was refused');
    const repeat = this._lastEmpty;
    if (!context.part && repeat && repeat.level === frag.level && repeat.sn === frag.sn && sameBytes(repeat.bytes, bytes)) {
      // The same segment again, after it gave hls.js nothing (hls.js 1.7
      // in low-latency mode keeps asking for an empty segment at its
      // buffer's end until media after it is published): the same answer,
      // not counted twice, and no sooner than half its duration.
      this._counts.repeats++;
      await new Promise((resolve) => { setTimeout(resolve, Math.min(1000, Math.max(50, (frag.duration || 1) * 500))); });
      return NO_SAMPLES.slice().buffer;
    }
    return this._enqueue(() => this._filterSegment(context, entry, bytes));
  }

  _enqueue(task) {
    const run = this._queue.then(task);
    this._queue = run.catch(() => {});
    return run;
  }

  _checkInit(bytes) {
    if (this._current && sameBytes(this._current.bytes, bytes)) return this._current.bytes;
    // A throwaway filter, so that checking a new init (a level switch
    // loading ahead) leaves the one in use untouched.
    const Filter = this._filter.constructor;
    let scratch = null;
    try {
      scratch = new Filter(this._key, {});
      scratch.init(bytes);
    } catch (e) {
      throw new RefusedError('bad-init-segment', `the init segment cannot be used: ${e?.message ?? e}`);
    } finally {
      scratch?.free?.();
    }
    return bytes;
  }

  _filterSegment(context, entry, bytes) {
    if (this._closed) throw new RefusedError('closed', 'this filter is closed');
    const { frag, part } = context;
    if (this._current !== entry && !(this._current && sameBytes(this._current.bytes, entry.bytes))) {
      try {
        this._filter.init(entry.bytes);
      } catch (e) {
        throw new RefusedError('bad-init-segment', `the init segment cannot be used: ${e?.message ?? e}`);
      }
      this._current = entry;
      this._vouched = null;
    }
    let out;
    try {
      out = this._filter.filter(bytes);
    } catch (e) {
      throw new RefusedError('malformed', `a media segment cannot be read: ${e?.message ?? e}`);
    }
    if (part) this._counts.parts++;
    else this._counts.segments++;
    if (out.init) this._vouched = out.init;
    const results = out.results ?? [];
    let kept = 0;
    let firstUs = null;
    let lastUs = null;
    for (const r of results) {
      if (r.ok && r.kept) {
        kept++;
        firstUs ??= r.timestampUs;
        lastUs = r.timestampUs;
      } else if (!r.ok && this._onDrop) {
        try {
          this._onDrop(r);
        } catch (e) {
          reportLater(e);
        }
      }
    }
    if (this._onFilter) {
      try {
        this._onFilter({ sn: frag.sn, part: part ? part.index : null, kept, results });
      } catch (e) {
        reportLater(e);
      }
    }
    if (!out.bytes || out.bytes.length === 0) {
      this._counts.emptyPayloads++;
      if (part) {
        // A part hls.js got nothing from is not "loaded" in its eyes and
        // would be loaded again and again; a gap part is skipped.
        part.gap = true;
        throw new SkippedPart();
      }
      this._keepGapsHarmless(frag);
      // Whatever hls.js noted for this segment (its parts' streams), it has
      // no media now: hls.js then treats it as a gap instead of as buffered.
      const streams = frag.elementaryStreams;
      if (streams && typeof streams === 'object') for (const type of keysOf(streams)) streams[type] = null;
      this._lastEmpty = { level: frag.level, sn: frag.sn, bytes };
      return NO_SAMPLES.slice().buffer;
    }
    if (!this._vouched) throw new RefusedError('malformed', 'the filter kept samples before vouching for an init segment');
    const initFrag = frag.initSegment;
    if (!(initFrag.data instanceof Uint8Array) || !sameBytes(initFrag.data, this._vouched)) initFrag.data = this._vouched.slice();
    const segment = part ?? frag;
    if (firstUs !== null && Number.isFinite(segment.start) && Number.isFinite(segment.duration)) {
      this._spans.push({ start: segment.start, end: segment.start + segment.duration, firstUs, lastUs });
      if (this._spans.length > MAX_SPANS) this._spans.shift();
    }
    return out.bytes.slice().buffer;
  }

  /**
   * hls.js gaps an empty segment only while the level's consecutive-error
   * count is low; a run of dropped segments must not count as errors.
   */
  _keepGapsHarmless(frag) {
    const level = this._hls?.levels?.[frag.level];
    if (level && typeof level.fragmentError === 'number') level.fragmentError = 0;
  }

  /**
   * After hls.js updated level `levelIndex` to `details` (LEVEL_UPDATED):
   * takes out of its FragmentTracker the gap entries of main segments that
   * have left the playlist (media sequence number below its first) and end
   * behind the playhead, so that gaps do not pile up over hours (see the
   * top of this file). Returns how many were removed.
   */
  _forgetPastGaps(levelIndex, details) {
    const tracker = this._tracker;
    if (!tracker || !details || !Number.isFinite(details.startSN)) return 0;
    const playhead = this._hls?.media?.currentTime;
    let removed = 0;
    for (const frag of tracker.gapFragments()) {
      if (frag?.type !== 'main' || typeof frag.sn !== 'number') continue;
      const firstSN = frag.level === levelIndex ? details.startSN : this._hls?.levels?.[frag.level]?.details?.startSN;
      if (!Number.isFinite(firstSN) || frag.sn >= firstSN) continue;
      if (typeof playhead === 'number' && !(frag.start + frag.duration <= playhead)) continue;
      tracker.removeFragment(frag);
      removed++;
    }
    return removed;
  }
}

/**
 * hls.js's FragmentTracker of instance `hls`, or null: hls.js keeps it in
 * its buffer and stream controllers and in its list of core components
 * (not public API, hence the checks: an object with the tracker's
 * gapFragments() and removeFragment()).
 */
function trackerOf(hls) {
  const candidates = [hls.bufferController?.fragmentTracker, hls.streamController?.fragmentTracker];
  if (Array.isArray(hls.coreComponents)) candidates.push(...hls.coreComponents);
  for (const c of candidates) {
    if (c && typeof c.gapFragments === 'function' && typeof c.removeFragment === 'function') return c;
  }
  return null;
}

/** Rethrows a callback's exception outside the loader, so it reaches the page's error handlers without breaking the load. */
function reportLater(e) {
  setTimeout(() => { throw e; }, 0);
}

/** The fLoader class of `session`: hls.js's configured loader, with filtered bytes in onSuccess. */
function makeLoaderClass(session) {
  return class FramesealFragmentLoader {
    constructor(config) {
      const Base = config.loader;
      if (typeof Base !== 'function') throw new Error('frameseal/hls: hls.js config has no loader class');
      this._inner = new Base(config);
      this._state = 'idle';
      this._callbacks = null;
    }

    get stats() { return this._inner.stats; }
    set stats(value) { this._inner.stats = value; }
    get context() { return this._inner.context; }

    load(context, config, callbacks) {
      this._callbacks = callbacks;
      this._state = 'loading';
      this._inner.load(context, config, {
        onSuccess: (response, stats, ctx, networkDetails) => {
          this._state = 'filtering';
          session._process(ctx ?? context, response.data).then(
            (data) => {
              if (this._state !== 'filtering') return;
              this._state = 'done';
              const progress = callbacks.onProgress;
              if (progress && data.byteLength > 0) progress(stats, ctx ?? context, data, networkDetails);
              callbacks.onSuccess({ ...response, data }, stats, ctx ?? context, networkDetails);
            },
            (error) => {
              if (this._state !== 'filtering') return;
              this._state = 'done';
              if (error instanceof SkippedPart) {
                // hls.js resets its loading state only for a load whose stats say aborted.
                stats.aborted = true;
                callbacks.onAbort?.(stats, ctx ?? context, networkDetails);
                return;
              }
              session._counts.refused++;
              const reason = error instanceof RefusedError ? error.reason : 'error';
              callbacks.onError({ code: 0, text: `frameseal: ${reason}: ${error?.message ?? error}` }, ctx ?? context, networkDetails, stats);
            },
          );
        },
        onError: (...args) => { this._state = 'done'; callbacks.onError(...args); },
        onTimeout: (...args) => { this._state = 'done'; callbacks.onTimeout(...args); },
        onAbort: (...args) => { this._state = 'done'; callbacks.onAbort?.(...args); },
      });
    }

    abort() {
      if (this._state === 'filtering') {
        // Loaded, not yet handed over: hls.js hears the abort instead.
        this._state = 'done';
        this._callbacks?.onAbort?.(this._inner.stats, this._inner.context, null);
        return;
      }
      this._inner.abort();
    }

    destroy() {
      this._state = 'done';
      this._callbacks = null;
      this._inner.destroy();
    }

    getCacheAge() { return this._inner.getCacheAge?.() ?? null; }
    getResponseHeader(name) { return this._inner.getResponseHeader?.(name) ?? null; }
  };
}

/**
 * The fLoader class for `new Hls({ fLoader })`, with its FramesealHls as
 * `.frameseal` (stats, liveness with watch(video)). attachFrameseal() does
 * this for an existing instance and also watches its media.
 */
export function framesealLoader(linkedPublicKey, options = {}) {
  const session = new FramesealHls(linkedPublicKey, options);
  const Loader = session.fLoader;
  Loader.frameseal = session;
  return Loader;
}

/**
 * Puts a FragmentFilter in front of `hls` (an hls.js instance, before its
 * first fragment loads): sets its config's fLoader, watches the media it
 * attaches (data-frameseal-live, onStall/onResume) and removes the gaps its
 * dropped segments leave in hls.js's FragmentTracker once they are past
 * (see the top of this file). Returns the FramesealHls.
 */
export function attachFrameseal(hls, linkedPublicKey, options = {}) {
  if (!hls || typeof hls.on !== 'function' || !hls.config) throw new Error('frameseal/hls: attachFrameseal needs an hls.js instance');
  const session = new FramesealHls(linkedPublicKey, options);
  session._hls = hls;
  hls.config.fLoader = session.fLoader;
  const Events = hls.constructor?.Events ?? {};
  // MEDIA_ATTACHING comes synchronously from attachMedia(): the element is
  // marked not live before hls.js does anything with it.
  const attached = Events.MEDIA_ATTACHING ?? 'hlsMediaAttaching';
  const detaching = Events.MEDIA_DETACHING ?? 'hlsMediaDetaching';
  const onAttached = (_event, data) => session.watch(data?.media ?? hls.media);
  const onDetaching = () => session.unwatch();
  hls.on(attached, onAttached);
  hls.on(detaching, onDetaching);
  session._listeners = [[attached, onAttached], [detaching, onDetaching]];
  session._tracker = trackerOf(hls);
  if (session._tracker) {
    const updated = Events.LEVEL_UPDATED ?? 'hlsLevelUpdated';
    const onUpdated = (_event, data) => {
      try {
        session._forgetPastGaps(data?.level, data?.details);
      } catch (e) {
        reportLater(e);
      }
    };
    hls.on(updated, onUpdated);
    session._listeners.push([updated, onUpdated]);
  }
  if (hls.media) session.watch(hls.media);
  return session;
}
