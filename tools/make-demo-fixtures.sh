#!/usr/bin/env bash
# Saves a short sample of the relay demo's live H.264 pipeline as fixtures for
# tests/js/demo-fragments.test.mjs: frameseal-demo's cameras encode with
# ffmpeg (x264), seal every access unit in-band and remux to one fMP4
# fragment per frame (demo/src/live.rs); its LL-HLS side serves them
# concatenated per GOP. This takes, from a demo started here with no fault
# on: the linked home camera's init segment and five consecutive segments
# (30 one-frame fragments each), the other home's init segment and one
# segment, and both public keys.
#
#   tools/make-demo-fixtures.sh [frameseal-demo binary]   (default: $CARGO_TARGET_DIR or target, release)
# Needs ffmpeg (the demo starts it), curl. Writes tests/fixtures/demo/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-${CARGO_TARGET_DIR:-$ROOT/target}/release/frameseal-demo}"
OUT="$ROOT/tests/fixtures/demo"
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release -p frameseal-demo" >&2; exit 1; }
mkdir -p "$OUT"
LOG="$(mktemp)"
"$BIN" --port 0 --root "$ROOT" >"$LOG" 2>&1 &
DEMO=$!
trap 'kill "$DEMO" 2>/dev/null; rm -f "$LOG"' EXIT
URL=""
for _ in $(seq 100); do
  URL="$(grep -o 'http://127.0.0.1:[0-9]*' "$LOG" | head -1 || true)"
  [ -n "$URL" ] && break
  sleep 0.2
done
[ -n "$URL" ] || { cat "$LOG" >&2; exit 1; }
# Wait (up to 60 s) until the home camera's playlist lists five whole segments.
segments() { curl -sf "$URL/hls/$1/live.m3u8" | grep -E '^seg/[0-9]+\.m4s$' || true; }
for _ in $(seq 120); do
  [ "$(segments home | wc -l)" -ge 5 ] && [ "$(segments nextdoor | wc -l)" -ge 2 ] && break
  sleep 0.5
done
mapfile -t HOME_SEGS < <(segments home | tail -5)
mapfile -t NEXT_SEGS < <(segments nextdoor | tail -1)
[ "${#HOME_SEGS[@]}" -eq 5 ] && [ "${#NEXT_SEGS[@]}" -eq 1 ] || { echo "the demo made too few segments" >&2; exit 1; }
curl -sf "$URL/hls/home/init.mp4" -o "$OUT/home-init.mp4"
curl -sf "$URL/hls/nextdoor/init.mp4" -o "$OUT/nextdoor-init.mp4"
for i in 0 1 2 3 4; do curl -sf "$URL/hls/home/${HOME_SEGS[$i]}" -o "$OUT/home$i.m4s"; done
curl -sf "$URL/hls/nextdoor/${NEXT_SEGS[0]}" -o "$OUT/nextdoor.m4s"
curl -sf "$URL/api/live" | node -e '
  let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => {
    for (const c of JSON.parse(s).cameras) console.log(`${c.id} ${c.publicKey}`);
  });' > "$OUT/keys.txt"
ls -l "$OUT"
