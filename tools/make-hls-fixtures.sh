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
# key): what a relay that mixes up two homes' streams serves. ll/ holds the
# same streams cut into LL-HLS parts (below).
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

# LL-HLS parts: the same sealed streams as fragmented MP4 with a fragment
# (moof + mdat) every 5 frames, each fragment a part file of its own:
# ll/init.mp4, ll/camera0.m4s … ll/camera11.m4s (three parts a second, the
# first of every three starting with a keyframe), and ll/other6.m4s and
# ll/other7.m4s, the other camera's parts 6 (a keyframe) and 7: the first
# two thirds of the third second.
mkdir -p "$out/ll"
for cam in camera other; do
  ff -r 15 -f h264 -i "$tmp/$cam-sealed.h264" -c:v copy -movflags +empty_moov+default_base_moof+frag_keyframe \
    -frag_duration 333333 -f mp4 "$tmp/$cam-ll.mp4"
  node -e '
    const fs = require("fs");
    const [file, dir, cam] = process.argv.slice(1);
    const mp4 = fs.readFileSync(file);
    const boxes = [];
    for (let at = 0; at < mp4.length; at += mp4.readUInt32BE(at)) boxes.push([mp4.toString("latin1", at + 4, at + 8), at, mp4.readUInt32BE(at)]);
    const moov = boxes.findIndex(([t]) => t === "moov");
    if (cam === "camera") fs.writeFileSync(`${dir}/init.mp4`, mp4.subarray(0, boxes[moov][1] + boxes[moov][2]));
    const parts = boxes.filter(([t]) => t === "moof").map(([, at], i, all) => [at, i + 1 < all.length ? all[i + 1][1] : mp4.length]);
    if (parts.length !== 12) throw new Error(`${file}: ${parts.length} fragments, expected 12`);
    parts.forEach(([from, to], n) => { if (cam === "camera" || n === 6 || n === 7) fs.writeFileSync(`${dir}/${cam}${n}.m4s`, mp4.subarray(from, to)); });
  ' "$tmp/$cam-ll.mp4" "$out/ll" "$cam"
done

cp "$tmp/camera.pub" "$out/camera.pub"
cp "$tmp/camera/camera-init.mp4" "$tmp/camera"/camera?.m4s "$tmp/camera/camera.m3u8" "$out/"
cp "$tmp/other/other-init.mp4" "$tmp/other/other2.m4s" "$out/"
# The mixed-up playlist: segment 2 from the other camera, everything else
# (the init segment too) from this one.
sed 's/^camera2\.m4s$/other2.m4s/' "$out/camera.m3u8" > "$out/mixup.m3u8"
grep -q '^other2\.m4s$' "$out/mixup.m3u8" || { echo "error: camera.m3u8 has no camera2.m4s" >&2; exit 1; }
ls -l "$out" "$out/ll"
