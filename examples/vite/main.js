// frameseal in a Vite app. `npm install && npm run build` (after building the
// package in ../../pkg with ./build.sh build), then serve dist/.
import init, { Verifier, Signer, fingerprint } from 'frameseal';
// The wasm file as a URL Vite emits: works in `vite build` and the dev server.
import wasmUrl from 'frameseal/frameseal_bg.wasm?url';
import { createReceiverWorker, configure } from 'frameseal/webrtc';

const out = document.getElementById('out');

async function main() {
  await init({ module_or_path: wasmUrl });

  const camera = Signer.generate();
  const stranger = Signer.generate();
  const display = new Verifier(camera.publicKey);

  const picture = new TextEncoder().encode('a picture');
  const genuine = camera.signFrame(picture, { codec: 'jpeg', keyframe: true });
  const verdicts = {
    genuine: display.verify(genuine),
    replayed: display.verify(genuine),
    foreign: display.verify(stranger.signFrame(picture, { codec: 'jpeg', keyframe: true })),
  };

  // The WebRTC receiver worker, bundled by Vite, loads the same wasm.
  const worker = createReceiverWorker();
  const workerFingerprint = await configure(worker, { linkedPublicKey: camera.publicKey });
  worker.terminate();

  return {
    fingerprint: fingerprint(camera.publicKey),
    workerFingerprint,
    genuine: verdicts.genuine.ok ? { ok: true, codec: verdicts.genuine.codec, payload: new TextDecoder().decode(verdicts.genuine.payload) } : verdicts.genuine,
    replayed: verdicts.replayed,
    foreign: verdicts.foreign,
    stats: display.stats(),
  };
}

main().then(
  (result) => { window.result = result; out.textContent = JSON.stringify(result, null, 2); },
  (e) => { window.result = { error: String(e && e.stack || e) }; out.textContent = window.result.error; },
);
