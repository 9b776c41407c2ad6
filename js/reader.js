// Glue for FrameReader (src/wasm/reader.rs): a WHATWG TransformStream around
// one reader, so `response.body.pipeThrough(frameReaderStream(key, options))`
// yields one verify result per frame. Every decision (where frames start,
// what is dropped) is made in Rust; this only moves chunks and results.

// A copy of `view` (a view of WebAssembly memory that the next allocation
// may invalidate) in its own ArrayBuffer.
export function copyBytes(view) {
  return view.slice();
}

export function transformStream(reader) {
  if (typeof TransformStream !== 'function') {
    reader.free();
    throw new TypeError('this environment has no TransformStream');
  }
  let freed = false;
  const release = () => {
    if (!freed) {
      freed = true;
      reader.free();
    }
  };
  // The transformer has no prototype: TransformStream also looks for
  // `start`, `readableType` and `writableType` on it, and an
  // Object.prototype.start set by another script would otherwise run with
  // this stream's controller and enqueue "results" of its own (SPEC §4).
  return new TransformStream(Object.assign(Object.create(null), {
    transform(chunk, controller) {
      let results;
      try {
        results = reader.push(chunk);
      } catch (e) {
        // The stream errors with this; the reader is of no further use.
        release();
        throw e;
      }
      for (const result of results) controller.enqueue(result);
    },
    flush(controller) {
      try {
        for (const result of reader.finish()) controller.enqueue(result);
      } finally {
        release();
      }
    },
    // Called when the readable side is cancelled (newer engines only; older
    // ones leave the reader to the FinalizationRegistry).
    cancel() {
      release();
    },
  }));
}
