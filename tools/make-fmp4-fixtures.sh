#!/usr/bin/env bash
# Regenerates tests/fixtures/fmp4/ (tests/fmp4.rs): small fragmented MP4
# files made by Debian's ffmpeg, each an init segment (ftyp+moov) followed by
# moof+mdat fragments, as MSE players receive them. 24 frames of 160x120
# testsrc at 30 fps, a keyframe every 12 frames.
set -euo pipefail
cd "$(dirname "$0")/../tests/fixtures/fmp4"

common=(-hide_banner -loglevel error -y -fflags +bitexact -threads 1)
src=(-f lavfi -i testsrc=size=160x120:rate=30)
frag=(-movflags +frag_keyframe+empty_moov+default_base_moof -f mp4)

# H.264 with B-frames (so composition offsets), one fragment per GOP.
ffmpeg "${common[@]}" "${src[@]}" -frames:v 24 -c:v libx264 -g 12 -bf 2 -x264-params b-adapt=0 -flags:v +bitexact \
  "${frag[@]}" h264_gop.mp4
# H.264, one fragment per frame (go2rtc's MSE stream).
ffmpeg "${common[@]}" "${src[@]}" -frames:v 24 -c:v libx264 -g 12 -flags:v +bitexact \
  -movflags +frag_keyframe+empty_moov+default_base_moof+frag_every_frame -f mp4 h264_every_frame.mp4
# H.265 as hvc1 (parameter sets in hvcC).
ffmpeg "${common[@]}" "${src[@]}" -frames:v 24 -c:v libx265 -g 12 -tag:v hvc1 \
  -x265-params log-level=error:pools=1:frame-threads=1:keyint=12:min-keyint=12:scenecut=0:open-gop=0 "${frag[@]}" h265_gop.mp4
# AV1 (libaom, fast), through IVF: muxed straight from the encoder with
# empty_moov, ffmpeg 5.1 writes an empty av1C (no extradata yet); remuxed,
# the av1C holds the sequence header.
ffmpeg "${common[@]}" "${src[@]}" -frames:v 24 -c:v libaom-av1 -g 12 -cpu-used 8 -f ivf av1.ivf
ffmpeg -hide_banner -loglevel error -y -i av1.ivf -c copy "${frag[@]}" av1_gop.mp4
rm av1.ivf
# H.264 with an AAC audio track: another track for the rewriter to remove.
ffmpeg "${common[@]}" "${src[@]}" -f lavfi -i sine=frequency=440:sample_rate=48000 \
  -frames:v 24 -t 0.8 -c:v libx264 -g 12 -flags:v +bitexact -c:a aac -b:a 32k \
  "${frag[@]}" h264_aac.mp4

# The same H.264 / H.265 samples as Annex B elementary streams (ffmpeg's own
# mp4toannexb conversion), which the tests compare sample by sample.
ffmpeg -hide_banner -loglevel error -y -i h264_gop.mp4 -c:v copy -bsf:v h264_mp4toannexb -f h264 h264_gop.h264
ffmpeg -hide_banner -loglevel error -y -i h265_gop.mp4 -c:v copy -bsf:v hevc_mp4toannexb -f hevc h265_gop.h265
# The per-frame H.264 sealed in-band by a camera of its own (every access
# unit, `frameseal seal`), muxed again per frame and per GOP: what a
# FragmentFilter keeps (tests/js/fragment-filter.test.mjs).
frameseal="${FRAMESEAL:-}"
if [[ -z "$frameseal" ]]; then
  cargo build -q --release -p frameseal-cli
  frameseal="${CARGO_TARGET_DIR:-../../../target}/release/frameseal"
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ffmpeg -hide_banner -loglevel error -y -i h264_every_frame.mp4 -c:v copy -bsf:v h264_mp4toannexb -f h264 "$tmp/raw.h264"
(cd "$tmp" && "$frameseal" keygen sealed-camera >/dev/null)
"$frameseal" seal --codec h264 --key "$tmp/sealed-camera.key" --timestamp-us 1780000000000000 \
  "$tmp/raw.h264" "$tmp/sealed.h264" >/dev/null
cp "$tmp/sealed-camera.pub" sealed-camera.pub
ffmpeg -hide_banner -loglevel error -y -fflags +bitexact -r 30 -f h264 -i "$tmp/sealed.h264" -c:v copy \
  -movflags +frag_every_frame+empty_moov+default_base_moof -f mp4 h264_sealed_every_frame.mp4
ffmpeg -hide_banner -loglevel error -y -fflags +bitexact -r 30 -f h264 -i "$tmp/sealed.h264" -c:v copy \
  "${frag[@]}" h264_sealed_gop.mp4
ls -l ./*.mp4 ./*.h26? ./*.pub
