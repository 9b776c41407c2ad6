// Canvas and timer I/O for FrameGate. Only effects live here: every decision
// (what to draw, when the display is not live, what a report says) is made in
// Rust (src/gate.rs). Works on an HTMLCanvasElement or an OffscreenCanvas, in a
// page or a worker.

export function isCanvas(x) {
  return (typeof HTMLCanvasElement !== 'undefined' && x instanceof HTMLCanvasElement)
    || (typeof OffscreenCanvas !== 'undefined' && x instanceof OffscreenCanvas);
}

export function context2d(canvas) {
  return canvas.getContext('2d');
}

// Decodes an image payload. The Blob copies the bytes, so the caller's buffer
// may be reused at once. Its options have no prototype: nothing a script put
// on Object.prototype is read as one (SPEC §4).
export function decodePicture(payload, mime) {
  const options = Object.create(null);
  options.type = mime;
  return createImageBitmap(new Blob([payload], options));
}

export function paint(ctx, bitmap) {
  const { width, height } = ctx.canvas;
  ctx.globalAlpha = 1;
  ctx.drawImage(bitmap, 0, 0, width, height);
}

// The not-live mark: the last picture (if any), dimmed, with a label that says
// for how long nothing verified was drawn.
export function paintNotLive(ctx, bitmap, label) {
  const { width, height } = ctx.canvas;
  ctx.save();
  ctx.globalAlpha = 1;
  if (bitmap) ctx.drawImage(bitmap, 0, 0, width, height);
  ctx.fillStyle = 'rgba(0, 0, 0, 0.6)';
  ctx.fillRect(0, 0, width, height);
  const size = Math.max(12, Math.round(Math.min(width, height) / 12));
  ctx.font = `600 ${size}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = '#ffffff';
  ctx.fillText(label, width / 2, height / 2);
  ctx.restore();
}

// Lets page CSS style a not-live canvas: data-live="false" (DOM canvases only).
export function markLive(canvas, live) {
  if (typeof canvas.setAttribute === 'function') canvas.setAttribute('data-live', live ? 'true' : 'false');
}

export function closeBitmap(bitmap) {
  if (bitmap && typeof bitmap.close === 'function') bitmap.close();
}

export function monotonicNow() {
  return performance.now();
}

export function startTimer(callback, ms) {
  return setTimeout(callback, ms);
}

export function stopTimer(id) {
  clearTimeout(id);
}
