#!/usr/bin/env bash
# Regenerates tests/fixtures/inband/: small media units from real encoders
# for the in-band carriage tests (tests/inband.rs, SPEC §6.3). What each
# file is and why: tests/fixtures/inband/README.md.
#
# Needs: ffmpeg with libx264, libx265 and libaom (Debian 12's ffmpeg 5.1,
# installed by ./build.sh setup), cjpeg (libjpeg-turbo-progs), exiftool
# (libimage-exiftool-perl) and node (to cut the configuration records out
# of MP4 files).
#
# Usage: tools/make-inband-fixtures.sh [OUT_DIR]   (default tests/fixtures/inband)
set -euo pipefail

cd "$(dirname "$0")/.."
out="${1:-tests/fixtures/inband}"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for tool in ffmpeg cjpeg exiftool node; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 1; }
done

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# The same moving test pattern for every codec: 160x120 at 30 frames/s.
src=(-f lavfi -i testsrc=size=160x120:rate=30)

# Writes the payload (without the 8-byte header) of the first box of type
# $2 found in MP4 file $1 to $3: avcC / hvcC / av1C, as a demuxer hands it over.
box_payload() {
  node -e '
    const fs = require("fs");
    const [file, type, dest] = process.argv.slice(1);
    const mp4 = fs.readFileSync(file);
    const at = mp4.indexOf(Buffer.from(type, "latin1"));
    if (at < 4) throw new Error(`no ${type} box in ${file}`);
    const size = mp4.readUInt32BE(at - 4);
    fs.writeFileSync(dest, mp4.subarray(at + 4, at - 4 + size));
  ' "$1" "$2" "$3"
}

# H.264, Annex B: 24 frames, GOP 12 (two IDR units), two B-frames between
# references (decode order differs from display order), two slices per
# picture (several VCL NAL units per unit). x264 puts its own
# user_data_unregistered SEI (its version and options) in the first unit.
ff "${src[@]}" -frames:v 24 -pix_fmt yuv420p -c:v libx264 -preset veryfast \
  -x264-params keyint=12:min-keyint=12:scenecut=0:bframes=2:b-adapt=0:b-pyramid=none:slices=2 \
  -f h264 "$out/h264-bframes.h264"
ff -i "$out/h264-bframes.h264" -c copy -f mp4 "$tmp/h264.mp4"
box_payload "$tmp/h264.mp4" avcC "$out/h264.avcC"

# H.265, Annex B: 24 frames, GOP 12, two B-frames; x265 writes VPS, SPS,
# PPS and its info SEI in the first unit.
ff "${src[@]}" -frames:v 24 -pix_fmt yuv420p -c:v libx265 -preset veryfast \
  -x265-params log-level=error:keyint=12:min-keyint=12:scenecut=0:bframes=2:repeat-headers=1 \
  -f hevc "$out/h265.h265"
ff -i "$out/h265.h265" -c copy -tag:v hvc1 -f mp4 "$tmp/h265.mp4"
box_payload "$tmp/h265.mp4" hvcC "$out/h265.hvcC"

# AV1 in IVF (each IVF frame is one temporal unit, OBUs with size fields):
# 16 frames by libaom, key frame every 8; its default lag gives hidden
# alt-ref frames shown later with show_existing_frame.
ff "${src[@]}" -frames:v 16 -pix_fmt yuv420p -c:v libaom-av1 -cpu-used 8 -g 8 \
  -f ivf "$out/av1.ivf"
ff -i "$out/av1.ivf" -c copy -f mp4 "$tmp/av1.mp4"
box_payload "$tmp/av1.mp4" av1C "$out/av1.av1C"

# JPEG: FFmpeg's encoder writes SOI, APP0 (JFIF) and a COM segment...
ff "${src[@]}" -frames:v 1 -c:v mjpeg -q:v 4 "$out/jfif.jpg"
# ... and no APP segment at all with an unknown aspect ratio and -bitexact.
ff "${src[@]}" -frames:v 1 -vf setsar=0 -c:v mjpeg -q:v 4 -bitexact "$out/no-app.jpg"
# APP0 then APP1 (Exif), as cameras write them: exiftool adds Exif tags.
exiftool -q -q -o "$tmp/exif.jpg" -Make=frameseal -Model=fixture "$out/jfif.jpg"
cp "$tmp/exif.jpg" "$out/exif.jpg"
# Progressive (ten scans, Huffman tables between them) with a restart
# marker every MCU row: libjpeg-turbo's cjpeg from a frame of the pattern.
ff "${src[@]}" -frames:v 1 -c:v ppm -f image2 "$tmp/frame.ppm"
cjpeg -quality 85 -progressive -restart 1 -outfile "$out/progressive-restart.jpg" "$tmp/frame.ppm"

ls -l "$out"
