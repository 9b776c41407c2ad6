// Type-checks pkg/loader.d.ts (js/loader.d.ts): load() resolves to the
// package's module, and its options are checked.
import { load, detectBuild, loadedBuild, BUILDS, probeBytes, type Build } from '../../pkg/loader.js';

export async function usesTheLoader(bytes: Uint8Array): Promise<void> {
  const frameseal = await load({ build: 'auto', wasm: (build: Build) => (build === 'mvp' ? bytes : undefined) });
  const verifier = new frameseal.Verifier(new Uint8Array(32), {});
  const r = verifier.verify(new Uint8Array(0));
  if (!r.ok) console.log(r.reason);
  const forced = await load({ build: 'mvp', webAssembly: null });
  forced.fingerprint(new Uint8Array(32));
  const picked: Build | null = detectBuild({ validate: () => false }) ?? loadedBuild;
  console.log(picked, BUILDS.length, probeBytes().length);
  // @ts-expect-error: not a build
  await load({ build: 'wasm2' });
  // @ts-expect-error: an unknown option
  await load({ bulid: 'mvp' });
}
