// js/mse.js, MseGate's MediaSource side, in Node with a scripted
// MediaSource / SourceBuffer / <video>: appends in order one at a time, a
// full buffer (QuotaExceededError) evicts played data and retries, played
// data is trimmed as playback goes, holes in the buffered ranges are
// jumped, a closed player rejects what waits. (The real thing plays in
// tests/e2e/mse-package.test.mjs.)
import test from 'node:test';
import assert from 'node:assert/strict';

class Ranges {
  constructor(list) { this.list = list; }
  get length() { return this.list.length; }
  start(i) { return this.list[i][0]; }
  end(i) { return this.list[i][1]; }
}

class FakeTarget {
  constructor() { this.listeners = {}; }
  addEventListener(type, f) { (this.listeners[type] ??= []).push(f); }
  removeEventListener(type, f) { this.listeners[type] = (this.listeners[type] ?? []).filter((g) => g !== f); }
  fire(type) { for (const f of this.listeners[type] ?? []) f(); }
}

/** A SourceBuffer whose appends finish when the test says so. */
class FakeBuffer extends FakeTarget {
  constructor(log) {
    super();
    this.log = log;
    this.updating = false;
    this.ranges = [];
    this.full = false;
  }
  get buffered() { return new Ranges(this.ranges); }
  appendBuffer(bytes) {
    assert.equal(this.updating, false, 'one append at a time');
    if (this.full) {
      const e = new Error('full');
      e.name = 'QuotaExceededError';
      throw e;
    }
    this.updating = true;
    this.log.push(`append ${bytes[0]}`);
  }
  remove(start, end) {
    assert.equal(this.updating, false);
    this.updating = true;
    this.full = false;
    this.log.push(`remove ${start}-${end}`);
    this.ranges = this.ranges
      .map(([a, b]) => [a >= start && a < end ? end : a, b])
      .filter(([a, b]) => a < b);
  }
  changeType(mime) { this.log.push(`changeType ${mime}`); }
  finish() {
    this.updating = false;
    this.fire('updateend');
  }
}

class FakeMediaSource extends FakeTarget {
  constructor() {
    super();
    this.readyState = 'closed';
    this.log = [];
    this.buffer = null;
    FakeMediaSource.last = this;
  }
  addSourceBuffer(mime) {
    this.log.push(`addSourceBuffer ${mime}`);
    this.buffer = new FakeBuffer(this.log);
    return this.buffer;
  }
  endOfStream() { this.log.push('endOfStream'); }
  open() {
    this.readyState = 'open';
    this.fire('sourceopen');
  }
}

class FakeVideo extends FakeTarget {
  constructor() {
    super();
    this.currentTime = 0;
    this.src = '';
  }
}

globalThis.MediaSource = FakeMediaSource;
globalThis.URL.createObjectURL = () => 'blob:fake';
globalThis.URL.revokeObjectURL = () => {};
const { createPlayer, append, closePlayer } = await import('../../js/mse.js');

const bytes = (tag) => new Uint8Array([tag]);
const settled = async (promise) => {
  let state = 'pending';
  promise.then(() => { state = 'resolved'; }, (e) => { state = `rejected: ${e.message}`; });
  await new Promise((r) => setImmediate(r));
  return state;
};

function player() {
  const video = new FakeVideo();
  const shown = [];
  const p = createPlayer(video, (t) => shown.push(t));
  const source = FakeMediaSource.last;
  return { p, video, source, shown };
}

test('appends wait for the MediaSource, then go one at a time in order', async () => {
  const { p, video, source } = player();
  assert.equal(video.src, 'blob:fake');
  const first = append(p, bytes(1), 'video/mp4; codecs="avc1.64001f"', bytes(2));
  const second = append(p, null, null, bytes(3));
  assert.deepEqual(source.log, [], 'nothing before sourceopen');
  source.open();
  assert.deepEqual(source.log, ['addSourceBuffer video/mp4; codecs="avc1.64001f"', 'append 1']);
  source.buffer.finish();
  assert.equal(await settled(first), 'pending', 'the media part is still to go');
  source.buffer.finish();
  assert.equal(await settled(first), 'resolved');
  assert.deepEqual(source.log.slice(2), ['append 2', 'append 3']);
  source.buffer.finish();
  assert.equal(await settled(second), 'resolved');
  // Another init segment with another codec: changeType, same buffer.
  const third = append(p, bytes(4), 'video/mp4; codecs="hvc1.1.6.L93.B0"', null);
  assert.deepEqual(source.log.slice(4), ['changeType video/mp4; codecs="hvc1.1.6.L93.B0"', 'append 4']);
  source.buffer.finish();
  assert.equal(await settled(third), 'resolved');
  closePlayer(p);
});

test('a full buffer: played data goes, and the append is retried', async () => {
  const { p, video, source } = player();
  source.open();
  const init = append(p, bytes(1), 'video/mp4; codecs="avc1.64001f"', null);
  source.buffer.finish();
  await init;
  source.buffer.ranges = [[0, 600]];
  video.currentTime = 590;
  source.buffer.full = true;
  const media = append(p, null, null, bytes(2));
  assert.equal(source.log.at(-1), 'remove 0-589', 'all but the last second before currentTime');
  source.buffer.finish(); // the removal
  assert.equal(source.log.at(-1), 'append 2', 'retried');
  source.buffer.finish();
  assert.equal(await settled(media), 'resolved');
  // Full again with nothing played to remove: the append fails, cleanly.
  source.buffer.ranges = [[589, 600]];
  video.currentTime = 589;
  source.buffer.full = true;
  const refused = append(p, null, null, bytes(3));
  assert.equal(await settled(refused), 'rejected: full');
  closePlayer(p);
});

test('played data older than 30 s is trimmed as playback goes', async () => {
  const { p, video, source } = player();
  source.open();
  const init = append(p, bytes(1), 'video/mp4; codecs="avc1.64001f"', null);
  source.buffer.finish();
  await init;
  source.buffer.ranges = [[0, 45]];
  video.currentTime = 40;
  const next = append(p, null, null, bytes(2));
  const after = append(p, null, null, bytes(3));
  source.buffer.finish(); // append 2 done: trim starts
  assert.equal(source.log.at(-1), 'remove 0-30', 'keeps the last 10 s before currentTime');
  source.buffer.finish(); // the removal
  assert.equal(source.log.at(-1), 'append 3');
  source.buffer.finish();
  assert.equal(await settled(next), 'resolved');
  assert.equal(await settled(after), 'resolved');
  closePlayer(p);
});

test('playback jumps the holes dropped samples leave; presented times reach Rust once each', async () => {
  const { p, video, source, shown } = player();
  source.open();
  const init = append(p, bytes(1), 'video/mp4; codecs="avc1.64001f"', null);
  source.buffer.finish();
  await init;
  source.buffer.ranges = [[0, 2], [3, 4]];
  video.readyState = 4;
  video.currentTime = 1;
  video.fire('waiting');
  assert.equal(video.currentTime, 1, 'inside a range, playing on: stays');
  video.currentTime = 1.95;
  video.fire('waiting');
  assert.equal(video.currentTime, 1.95, 'near the end, but with future data: stays');
  video.readyState = 2;
  video.fire('waiting');
  assert.ok(Math.abs(video.currentTime - 3.001) < 1e-9, 'at the end of a range without future data: to the next one');
  video.currentTime = 2.5;
  video.fire('waiting');
  assert.ok(Math.abs(video.currentTime - 3.001) < 1e-9, 'in a hole: to the next range');
  video.currentTime = 3.95;
  video.fire('waiting');
  assert.equal(video.currentTime, 3.95, 'the live edge: nothing later to jump to');
  // What the demo's relay makes of a mix-up (Chromium stops 1-2 frames
  // before a range's end): 0-5.27, then 7.33 on.
  source.buffer.ranges = [[0, 5.27], [7.33, 7.6]];
  video.currentTime = 5.16;
  video.readyState = 2;
  video.fire('waiting');
  assert.ok(Math.abs(video.currentTime - 7.331) < 1e-9, 'stuck before the end: to the next range');
  // Playing with future data but no progress between two checks near the end.
  source.buffer.ranges = [[7.33, 9], [9.5, 10]];
  video.readyState = 4;
  video.paused = false;
  video.currentTime = 8.5;
  video.fire('waiting');
  assert.equal(video.currentTime, 8.5, 'first look: progress not known yet');
  video.fire('waiting');
  assert.ok(Math.abs(video.currentTime - 9.501) < 1e-9, 'no progress near the end: to the next range');
  video.currentTime = 3.2;
  video.fire('timeupdate');
  video.fire('timeupdate');
  video.currentTime = 3.3;
  video.fire('timeupdate');
  assert.deepEqual(shown, [3.2, 3.3]);
  closePlayer(p);
});

test('a closed player ends the MediaSource and rejects what waits', async () => {
  const { p, source } = player();
  const waiting = append(p, bytes(1), 'video/mp4; codecs="avc1.64001f"', null);
  closePlayer(p);
  assert.equal(await settled(waiting), 'rejected: this gate is closed');
  assert.equal(await settled(append(p, null, null, bytes(2))), 'rejected: this gate is closed');
  source.open();
  assert.deepEqual(source.log, [], 'nothing appended after close');
});
