// Shared by the end-to-end tests: where the release binary is, the
// Chromium flags this machine needs, and starting `frameseal demo`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.FRAMESEAL_BIN
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'release', 'frameseal');
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Starts `frameseal demo --port 0`; resolves once it prints its URL. */
export function startDemo() {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['demo', '--port', '0', '--root', ROOT], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`frameseal demo printed no URL within 30 s:\n${out}${err}`));
    }, 30_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\/www\//);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[0], origin: `http://127.0.0.1:${m[1]}` });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`frameseal demo exited with ${code}:\n${out}${err}`));
    });
  });
}
