//! `frameseal verify`: checks every frame of a stream file against a camera's
//! public key with the same [`Verifier`] a display uses, cutting the file
//! with the same byte-stream reader (`crate::stream`, over the core's
//! `FrameReader`), so it accepts exactly the frames a browser's
//! `FrameReader` would. Prints one line per candidate frame (by offset),
//! one per run of bytes that is not part of any frame, and a summary by
//! drop reason; fails if any frame was dropped or any byte skipped.
//!
//! With `--codec`, the file is a media file whose units carry their seals
//! in-band (`frameseal seal`; SPEC §6.3): one line per unit, in file
//! (decode) order, and the same summary; an unsealed unit is `unsigned`.
//!
//! With `--signed-video`, the file is a recording signed by the camera
//! itself (Axis Signed Video, ONVIF Media Signing): see
//! [`crate::signed_video`].
//!
//! The clock is read once, when the command starts (or given with
//! `--now-us`), so a recording is judged as of one instant: a stream signed
//! an hour ago needs `--max-age-ms`, `--now-us` or `--no-freshness`.

use std::fs;
use std::path::{Path, PathBuf};

use frameseal::deframer::Boundaries;
use frameseal::frame::{FLAG_KEYFRAME, layout};
use frameseal::{Codec, Policy, Verifier, fingerprint};
use hex::FromHex;

use crate::args::{Args, Spec};
use crate::error::CliError;
use crate::keyfile;
use crate::signed_video;
use crate::stream::{self, CutJudge, Gap, RawFrame};
use crate::units::{self, MediaFile};

pub const SPEC: Spec = Spec {
    usage: "frameseal verify --key NAME.pub [--max-age-ms N] [--max-future-skew-ms N] \
            [--no-freshness] [--replay-window N] [--stream-id HEX32] [--max-payload-bytes N] \
            [--no-rotation] [--now-us N] [--codec h264|h265|av1|jpeg] STREAM\n   \
            or: frameseal verify --signed-video [--trust-key PEM | --trust-ca PEM | --axis] \
            [--at RFC3339] [--json [--frames]] FILE.mp4|FILE.h264|FILE.h265|FILE.ivf|FILE.obu",
    valued: &[
        "codec",
        "key",
        "max-age-ms",
        "max-future-skew-ms",
        "replay-window",
        "stream-id",
        "max-payload-bytes",
        "now-us",
        "trust-key",
        "trust-ca",
        "at",
    ],
    switches: &[
        "no-freshness",
        "no-rotation",
        "signed-video",
        "json",
        "frames",
        "axis",
    ],
};

/// The verifier's policy from the command line (SPEC §3 defaults).
fn policy(args: &Args) -> Result<Policy, CliError> {
    let defaults = Policy::default();
    let ms = "a whole number of milliseconds";
    let max_age_ms = args.parsed::<u64>("max-age-ms", ms)?;
    let max_skew_ms = args.parsed::<u64>("max-future-skew-ms", ms)?;
    let (max_age_us, max_future_skew_us) = if args.switch("no-freshness") {
        if max_age_ms.is_some() || max_skew_ms.is_some() {
            return Err(args.usage_error(
                "--no-freshness switches both clock checks off; it cannot be combined with \
                 --max-age-ms or --max-future-skew-ms",
            ));
        }
        (None, None)
    } else {
        (
            max_age_ms
                .map(|ms| ms.saturating_mul(1000))
                .or(defaults.max_age_us),
            max_skew_ms
                .map(|ms| ms.saturating_mul(1000))
                .or(defaults.max_future_skew_us),
        )
    };
    let stream_id = args
        .value("stream-id")
        .map(|text| {
            <[u8; 16]>::from_hex(text).ok().ok_or_else(|| {
                args.usage_error(format!("--stream-id expects 32 hex digits, got '{text}'"))
            })
        })
        .transpose()?;
    Ok(Policy {
        max_age_us,
        max_future_skew_us,
        replay_window: args
            .parsed("replay-window", "a whole number of frames")?
            .unwrap_or(defaults.replay_window),
        stream_id,
        max_payload_bytes: args
            .parsed("max-payload-bytes", "a whole number of bytes below 2^32")?
            .unwrap_or(defaults.max_payload_bytes),
        allow_rotation: !args.switch("no-rotation"),
    })
}

pub fn run(args: &Args) -> Result<(), CliError> {
    if args.switch("signed-video") {
        return signed_video::run(args);
    }
    if let Some(option) = signed_video::OPTIONS
        .iter()
        .find(|o| args.value(o).is_some() || args.switch(o))
    {
        return Err(args.usage_error(format!("--{option} needs --signed-video")));
    }
    let stream_path = PathBuf::from(args.one_positional("STREAM (the stream file to check)")?);
    let key_path = args
        .value("key")
        .ok_or_else(|| args.usage_error("missing --key (the camera's public key file)"))?;
    let policy = policy(args)?;
    let now_us = args
        .parsed::<u64>("now-us", "microseconds since the Unix epoch")?
        .unwrap_or_else(frameseal_native::now_us);
    let key_path = Path::new(key_path);
    let (public, key) = keyfile::linked(key_path)?;
    let mut verifier = Verifier::new(key, policy)
        .map_err(|e| args.usage_error(format!("--replay-window: {e}")))?;
    let bytes = fs::read(&stream_path).map_err(|e| CliError::read("stream", &stream_path, e))?;

    say!("linked key   {}", fingerprint(&public));
    let now = i64::try_from(now_us).unwrap_or(i64::MAX);
    if args.value("codec").is_some() {
        let format = units::format(args)?;
        let media = MediaFile::cut(&bytes, format, &stream_path)?;
        for (i, unit) in media.units().into_iter().enumerate() {
            let verdict = verifier
                .try_verify_unit(unit, format, None, now)
                .map_err(|e| units::unit_error(&stream_path, i, e))?;
            let text = match &verdict {
                Ok(ok) => {
                    let key = if ok.header.keyframe { " keyframe" } else { "" };
                    format!("seq {:<6}{key}  accepted", ok.header.seq)
                }
                Err(reason) => format!("dropped: {reason}"),
            };
            say!("unit {i:<5} {} bytes  {text}", unit.len());
        }
        return summarize(&verifier, None, stream_path);
    }
    let max_payload = verifier.policy().max_payload_bytes;
    let cut = stream::cut(
        &bytes,
        max_payload,
        Display {
            verifier: &mut verifier,
            now,
        },
    );
    // Frames and gaps by offset (at one offset, the gap comes first: it
    // ends where the frame starts).
    let mut lines: Vec<(usize, bool, String)> = cut
        .frames
        .iter()
        .map(|(frame, verdict)| {
            (
                frame.offset,
                true,
                format!("{}  {verdict}", describe(frame)),
            )
        })
        .chain(cut.gaps.iter().map(|gap| (gap.offset, false, skipped(gap))))
        .collect();
    lines.sort_by_key(|(offset, is_frame, _)| (*offset, *is_frame));
    for (_, _, line) in &lines {
        say!("{line}");
    }

    summarize(&verifier, cut.error(), stream_path)
}

/// The summary line by drop reason, and the exit: an error if bytes were
/// skipped or anything was dropped.
fn summarize(
    verifier: &Verifier,
    split_error: Option<stream::SplitError>,
    stream_path: PathBuf,
) -> Result<(), CliError> {
    let stats = verifier.stats();
    let dropped = stats.dropped_total();
    let total = stats.accepted + dropped;
    let reasons: Vec<String> = stats
        .by_reason()
        .filter(|(_, n)| *n > 0)
        .map(|(reason, n)| format!("{reason} {n}"))
        .collect();
    let by_reason = if reasons.is_empty() {
        String::new()
    } else {
        format!(" ({})", reasons.join(", "))
    };
    let gaps = match &split_error {
        Some(e) => format!("; {} bytes skipped", e.bytes),
        None => String::new(),
    };
    say!(
        "summary      {total} frame{}: {} accepted, {dropped} dropped{by_reason}{gaps}",
        if total == 1 { "" } else { "s" },
        stats.accepted
    );
    if let Some(error) = split_error {
        return Err(CliError::Stream {
            path: stream_path,
            error,
        });
    }
    if dropped > 0 {
        return Err(CliError::Dropped { dropped, total });
    }
    Ok(())
}

/// `skipped      52 bytes at byte 246: a header claiming ... bytes ...`
fn skipped(gap: &Gap) -> String {
    format!(
        "skipped      {} bytes at byte {}: {}",
        gap.len, gap.offset, gap.start
    )
}

/// `frame 3  seq 3  jpeg keyframe  10245 bytes` (fields as the frame claims them).
/// The display `verify` plays: its verifier at one instant, judging whole
/// frames and, as the JS reader does, version-2 seals as soon as they are
/// read. Keeps each verdict as the text of its line.
struct Display<'v> {
    verifier: &'v mut Verifier,
    now: i64,
}

impl CutJudge<String> for Display<'_> {
    fn frame(&mut self, bytes: &[u8]) -> (Boundaries, String) {
        let verdict = self.verifier.verify(bytes, self.now);
        let text = match &verdict {
            Ok(accepted) => match accepted.new_public_key {
                Some(next) => format!("accepted: key rotated to {}", fingerprint(&next)),
                None => "accepted".to_string(),
            },
            Err(reason) => format!("dropped: {reason}"),
        };
        (Boundaries::of(&verdict), text)
    }

    fn seal(&mut self, seal: &[u8], frame_len: usize) -> Option<Result<(), String>> {
        Some(match self.verifier.authenticate_seal(seal, frame_len) {
            Ok(_) => Ok(()),
            Err(reason) => Err(format!("dropped: {reason} (seal checked alone)")),
        })
    }
}

fn describe(frame: &RawFrame) -> String {
    let f = frame.fields();
    let codec_byte = f.byte(layout::CODEC);
    let codec = Codec::from_byte(codec_byte)
        .map(|c| c.name().to_string())
        .unwrap_or_else(|| format!("codec {codec_byte}"));
    let key = if f.byte(layout::FLAGS) & FLAG_KEYFRAME != 0 {
        " keyframe"
    } else {
        ""
    };
    format!(
        "frame {:<4} seq {:<6} {codec}{key}  {} bytes",
        frame.index,
        f.u64(layout::SEQ),
        f.payload_len()
    )
}
