#!/usr/bin/env bash
# Regenerates tests/fixtures/hls/: small HLS fMP4 playlists of in-band
# sealed H.264 (SPEC §6.3, §7) for the frameseal/hls integration's tests
# (tests/js/hls.test.mjs, tests/e2e/hls-package.test.mjs). What each file is
# and why: tests/fixtures/hls/README.md.
#
# Two cameras, each with its own new key pair: "camera" (FFmpeg's moving
# testsrc pattern) and "other" (solid red, so a frame of it on screen is
# unmistakable). Both are encoded alike (libx264, 160x120, 15 frames/s, a
# keyframe every 15 frames, no B-frames, 60 frames), sealed unit by unit by
# `frameseal seal`, and cut by FFmpeg's HLS muxer into 1-second fMP4
# segments that each start with a keyframe. `mixup.m3u8` is camera.m3u8
# with its third segment taken from the other camera (same times, another
# key): what a relay that mixes up two homes' streams serves.
#
# Needs ffmpeg with libx264 (Debian 12's ffmpeg 5.1) and the frameseal CLI:
# $FRAMESEAL if set, else `cargo run --release -p frameseal-cli` (set
# CARGO_TARGET_DIR as usual).
#
# Usage: tools/make-hls-fixtures.sh [OUT_DIR]   (default tests/fixtures/hls)
set -euo pipefail

cd "$(dirname "$0")/.."
out="${1:-tests/fixtures/hls}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

command -v ffmpeg >/dev/null || { echo "error: ffmpeg is not installed" >&2; exit 1; }
if [[ -z "${FRAMESEAL:-}" ]]; then
  cargo build -q --release -p frameseal-cli
  FRAMESEAL="${CARGO_TARGET_DIR:-target}/release/frameseal"
fi

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
x264=(-pix_fmt yuv420p -c:v libx264 -preset veryfast -flags:v +bitexact
  -x264-params keyint=15:min-keyint=15:scenecut=0:bframes=0)
# One stream id for both cameras: the mix-up is told apart by key alone.
stream_id=5a5a0000000000000000000000000001
timestamp_us=1780000000000000

ff -f lavfi -i testsrc=size=160x120:rate=15 -frames:v 60 "${x264[@]}" -f h264 "$tmp/camera.h264"
ff -f lavfi -i color=c=red:size=160x120:rate=15 -frames:v 60 "${x264[@]}" -f h264 "$tmp/other.h264"

for cam in camera other; do
  (cd "$tmp" && "$FRAMESEAL" keygen "$cam" >/dev/null)
  "$FRAMESEAL" seal --codec h264 --key "$tmp/$cam.key" --stream-id "$stream_id" \
    --timestamp-us "$timestamp_us" "$tmp/$cam.h264" "$tmp/$cam-sealed.h264" >/dev/null
  mkdir -p "$tmp/$cam"
  ff -r 15 -f h264 -i "$tmp/$cam-sealed.h264" -c:v copy -f hls -hls_segment_type fmp4 -hls_time 1 \
    -hls_playlist_type vod -hls_fmp4_init_filename "$cam-init.mp4" \
    -hls_segment_filename "$tmp/$cam/$cam%d.m4s" "$tmp/$cam/$cam.m3u8"
done

cp "$tmp/camera.pub" "$out/camera.pub"
cp "$tmp/camera/camera-init.mp4" "$tmp/camera"/camera?.m4s "$tmp/camera/camera.m3u8" "$out/"
cp "$tmp/other/other-init.mp4" "$tmp/other/other2.m4s" "$out/"
# The mixed-up playlist: segment 2 from the other camera, everything else
# (the init segment too) from this one.
sed 's/^camera2\.m4s$/other2.m4s/' "$out/camera.m3u8" > "$out/mixup.m3u8"
grep -q '^other2\.m4s$' "$out/mixup.m3u8" || { echo "error: camera.m3u8 has no camera2.m4s" >&2; exit 1; }
ls -l "$out"
