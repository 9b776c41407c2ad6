// Plain object (no import from 'vite'), so the repository's test can build a
// copy of this folder with the repository's own vite.
export default {
  // frameseal/webrtc starts its workers as module workers that import the
  // package's ES module: bundle them as ES modules too.
  worker: { format: 'es' },
  // The dev server's dependency pre-bundling would move frameseal's modules
  // away from frameseal_bg.wasm and the worker scripts they load by URL.
  optimizeDeps: { exclude: ['frameseal'] },
};
