// Media Source Extensions I/O for MseGate (SPEC §7). Only effects live here:
// which samples and which init segment reach the SourceBuffer is decided in
// Rust (src/fragment_filter.rs) before anything is handed to this file.
//
// What this file does with what it is given:
// - owns one MediaSource on the element (object URL) and one SourceBuffer,
//   created with the codec string of the first init segment (changeType for
//   a later one with another codec);
// - appends in order, one at a time: appends wait in a queue while the
//   buffer updates or the MediaSource is not open yet;
// - QuotaExceededError: removes what was already played (all but the last
//   few seconds before currentTime) and retries, so a long session never
//   dies of a full buffer; it also trims played data as it goes;
// - gaps: dropped samples can leave holes in the buffered ranges, where
//   playback would wait for good; when currentTime stands in or at the end
//   of a range and a later range exists, it jumps to that range's start;
// - presented frames: currentTime, read every GAP_CHECK_MS and on
//   `timeupdate`, tells Rust the media time now shown (for liveness).
// ES2017 (this file is part of the WebAssembly 1.0 build).

var KEEP_BEHIND_S = 10;
var TRIM_AFTER_S = 30;
var GAP_CHECK_MS = 250;

export function isMediaElement(x) {
  return typeof HTMLMediaElement !== 'undefined' && x instanceof HTMLMediaElement;
}

export function hasMediaSource() {
  return typeof MediaSource === 'function';
}

export function isTypeSupported(mime) {
  return typeof MediaSource === 'function' && MediaSource.isTypeSupported(mime);
}

// A player on `video`: onShown(mediaTimeSeconds) is called for each new
// picture shown.
export function createPlayer(video, onShown) {
  var source = new MediaSource();
  var url = URL.createObjectURL(source);
  var p = {
    video: video,
    source: source,
    url: url,
    buffer: null,
    mime: null,
    queue: [],
    closed: false,
    onShown: onShown,
    lastShown: -1,
    lastTime: -1,
    timer: null,
    listeners: [],
  };
  function on(target, type, f) {
    target.addEventListener(type, f);
    p.listeners.push([target, type, f]);
  }
  on(source, 'sourceopen', function () { pump(p); });
  on(video, 'timeupdate', function () { shown(p, video.currentTime); });
  on(video, 'waiting', function () { jumpGap(p); });
  // What is shown is read from currentTime a few times a second (here and
  // on timeupdate), not per frame: a requestVideoFrameCallback loop makes
  // the browser run a rendering update on the main thread for every video
  // frame, which cost more than the whole verification (bench/mse.mjs).
  // Rust counts the pictures passed since the last reading.
  p.timer = setInterval(function () {
    shown(p, video.currentTime);
    jumpGap(p);
  }, GAP_CHECK_MS);
  video.src = url;
  return p;
}

function shown(p, t) {
  if (p.closed || !(t > p.lastShown)) return;
  p.lastShown = t;
  try { p.onShown(t); } catch (_) { /* a closed gate */ }
}

// Queues `init` (with its MIME type) and `media` (either may be null);
// resolves once both are in the SourceBuffer, rejects if the buffer fails.
export function append(p, init, mime, media) {
  if (p.closed) return Promise.reject(new Error('this gate is closed'));
  var pending = [];
  if (init) pending.push(enqueue(p, { bytes: init, mime: mime }));
  if (media) pending.push(enqueue(p, { bytes: media, mime: null }));
  return Promise.all(pending).then(function () {});
}

function enqueue(p, item) {
  return new Promise(function (resolve, reject) {
    item.resolve = resolve;
    item.reject = reject;
    item.retried = false;
    p.queue.push(item);
    pump(p);
  });
}

function pump(p) {
  if (p.closed || p.source.readyState !== 'open') return;
  if (p.buffer && p.buffer.updating) return;
  var item = p.queue[0];
  if (!item) return;
  try {
    if (item.mime) {
      if (!p.buffer) {
        p.buffer = p.source.addSourceBuffer(item.mime);
        p.buffer.addEventListener('updateend', function () { done(p); });
        p.buffer.addEventListener('error', function () { fail(p, new Error('the SourceBuffer reported an error')); });
      } else if (item.mime !== p.mime && typeof p.buffer.changeType === 'function') {
        p.buffer.changeType(item.mime);
      }
      p.mime = item.mime;
    }
    if (!p.buffer) {
      // Media before any init segment: nothing can play it.
      p.queue.shift();
      item.resolve();
      pump(p);
      return;
    }
    p.buffer.appendBuffer(item.bytes);
  } catch (e) {
    if (e && e.name === 'QuotaExceededError' && !item.retried && evict(p, true)) {
      item.retried = true;
      return; // retried on updateend of the removal
    }
    p.queue.shift();
    item.reject(e);
    pump(p);
  }
}

function done(p) {
  var item = p.queue[0];
  if (item && !item.evicting) {
    p.queue.shift();
    item.resolve();
  }
  if (item) item.evicting = false;
  trim(p);
  pump(p);
}

function fail(p, e) {
  var item = p.queue.shift();
  if (item) item.reject(e);
}

// Removes played data; `urgent`: as much as can go (a full buffer).
function evict(p, urgent) {
  var b = p.buffer;
  if (!b || b.updating) return false;
  var ranges = b.buffered;
  if (ranges.length === 0) return false;
  var start = ranges.start(0);
  var until = p.video.currentTime - (urgent ? 1 : KEEP_BEHIND_S);
  if (until <= start) return false;
  if (p.queue[0]) p.queue[0].evicting = true;
  b.remove(start, until);
  return true;
}

function trim(p) {
  var b = p.buffer;
  if (!b || b.updating || b.buffered.length === 0) return;
  if (p.video.currentTime - b.buffered.start(0) > TRIM_AFTER_S) evict(p, false);
}

// Moves currentTime over a hole in the buffered ranges (see the header):
// when a later range exists and playback cannot go on where it stands —
// in a hole, or within a second of the end of its range while the element
// lacks future data (Chromium stops a frame or two short of a range's end)
// or makes no progress between two checks. Never while playing on inside
// a range, so buffered verified pictures are not skipped.
function jumpGap(p) {
  if (p.closed || !p.buffer) return;
  var ranges;
  try { ranges = p.buffer.buffered; } catch (_) { return; }
  var video = p.video;
  var t = video.currentTime;
  var inside = -1;
  var next = null;
  for (var i = 0; i < ranges.length; i++) {
    if (t >= ranges.start(i) - 0.001 && t <= ranges.end(i) + 0.001) inside = i;
    if (next === null && ranges.start(i) > t + 0.001) next = ranges.start(i);
  }
  var still = p.lastTime === t;
  p.lastTime = t;
  if (next === null) return;
  var stuck = inside < 0 || (ranges.end(inside) - t < 1
    && (video.readyState < 3 || (still && !video.paused)));
  if (stuck) video.currentTime = next + 0.001;
}

export function closePlayer(p) {
  if (p.closed) return;
  p.closed = true;
  clearInterval(p.timer);
  for (var i = 0; i < p.listeners.length; i++) {
    var l = p.listeners[i];
    l[0].removeEventListener(l[1], l[2]);
  }
  var e = new Error('this gate is closed');
  while (p.queue.length) p.queue.shift().reject(e);
  try { if (p.source.readyState === 'open') p.source.endOfStream(); } catch (_) { /* already ended */ }
  URL.revokeObjectURL(p.url);
}

// Resolves `promise` to `value`.
export function settleWith(promise, value) {
  return promise.then(function () { return value; });
}

// Lets page CSS and tests see whether the video is live.
export function markLive(element, live) {
  if (typeof element.setAttribute === 'function') element.setAttribute('data-frameseal-live', live ? 'true' : 'false');
}

