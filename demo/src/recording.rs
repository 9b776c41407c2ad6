//! A signed H.264 recording (Axis Signed Video, ONVIF Media Signing) as the
//! Axis camera feed ([`crate::axis_relay`]) sends it: access units in
//! Annex B, in decode order, grouped into GOPs, with the signer's public
//! key (SPKI DER) as the stream's own SEIs carry it.
//!
//! An `.mp4` recording's samples are length-prefixed: each becomes one
//! access unit with 4-byte start codes, and each keyframe gets the SPS and
//! PPS of the track's `avcC` in front (an Annex B decoder has no other way
//! to get them; the formats do not sign parameter sets, so this changes no
//! verdict). An Annex B `.h264` file is split into access units at the
//! first NAL unit after a picture that cannot belong to it (ITU-T H.264
//! 7.4.1.2.3: an SEI, SPS, PPS or delimiter, or a slice with
//! `first_mb_in_slice` 0).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use frameseal::signed_video::mp4::{self, Mp4Error};
use frameseal::signed_video::{Codec, StreamValidator, annexb_nal_units};

/// Longest recording file read (the fixtures are about 260 KB).
pub const MAX_RECORDING_BYTES: u64 = 16 << 20;

/// Why a recording cannot be served.
#[derive(Debug)]
#[non_exhaustive]
pub enum RecordingError {
    /// The file could not be read.
    Read { path: PathBuf, reason: String },
    /// The file is larger than [`MAX_RECORDING_BYTES`].
    TooLarge { path: PathBuf, bytes: u64 },
    /// The MP4 file's video track cannot be read.
    Mp4(Mp4Error),
    /// The MP4 file's track is not H.264.
    NotH264,
    /// The `avcC` record is cut short or malformed.
    BadAvcC,
    /// A sample's NAL unit lengths run past it.
    BadSample(usize),
    /// The stream has no IDR picture to start a GOP at.
    NoKeyframe,
    /// No Signed Video / Media Signing SEI in it names a public key.
    NotSigned,
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordingError::Read { path, reason } => {
                write!(f, "cannot read {}: {reason}", path.display())
            }
            RecordingError::TooLarge { path, bytes } => write!(
                f,
                "{} is {bytes} bytes, more than the {MAX_RECORDING_BYTES} a recording may have",
                path.display()
            ),
            RecordingError::Mp4(e) => write!(f, "the MP4 file: {e}"),
            RecordingError::NotH264 => f.write_str("the MP4 file's video track is not H.264"),
            RecordingError::BadAvcC => f.write_str("the MP4 file's avcC record is malformed"),
            RecordingError::BadSample(i) => write!(f, "sample {i}: NAL unit lengths run past it"),
            RecordingError::NoKeyframe => f.write_str("the stream has no IDR picture"),
            RecordingError::NotSigned => {
                f.write_str("no Signed Video / Media Signing SEI names a public key")
            }
        }
    }
}

/// One access unit, Annex B.
#[derive(Clone, Debug)]
pub struct Unit {
    pub bytes: Arc<[u8]>,
    /// Whether it holds a picture (a slice); the last units of a recording
    /// may be SEIs alone.
    pub picture: bool,
    /// Whether its picture is an IDR picture.
    pub keyframe: bool,
}

/// A signed recording, ready to stream.
#[derive(Debug)]
pub struct Recording {
    pub units: Vec<Unit>,
    /// Each GOP's units: from an IDR access unit to the next one.
    pub gops: Vec<Range<usize>>,
    /// The signer's public key, SubjectPublicKeyInfo DER.
    pub spki: Vec<u8>,
    /// The codec string WebCodecs takes (`avc1.PPCCLL`).
    pub codec: String,
    /// Coded width and height, pixels.
    pub size: (u16, u16),
}

const START: [u8; 4] = [0, 0, 0, 1];

fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |b| b & 0x1f)
}

fn is_slice(nal: &[u8]) -> bool {
    (1..=5).contains(&nal_type(nal))
}

fn unit_of(nals: &[&[u8]]) -> Unit {
    let mut bytes = Vec::with_capacity(nals.iter().map(|n| n.len() + 4).sum());
    for nal in nals {
        bytes.extend_from_slice(&START);
        bytes.extend_from_slice(nal);
    }
    Unit {
        bytes: Arc::from(bytes),
        picture: nals.iter().any(|n| is_slice(n)),
        keyframe: nals.iter().any(|n| nal_type(n) == 5),
    }
}

/// Splits Annex B NAL units into access units (see the module's docs).
fn access_units(nals: &[&[u8]]) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut current: Vec<&[u8]> = Vec::new();
    let mut has_picture = false;
    for &nal in nals {
        let slice = is_slice(nal);
        let first_slice = slice && nal.get(1).is_some_and(|b| b & 0x80 != 0);
        let starts_unit = matches!(nal_type(nal), 6..=9 | 14..=18) || first_slice;
        if has_picture && starts_unit {
            units.push(unit_of(&current));
            current.clear();
            has_picture = false;
        }
        has_picture |= slice;
        current.push(nal);
    }
    if !current.is_empty() {
        units.push(unit_of(&current));
    }
    units
}

/// The SPS and PPS NAL units of an `avcC` record (ISO/IEC 14496-15 5.3.3.1).
fn parameter_sets(avcc: &[u8]) -> Result<Vec<&[u8]>, RecordingError> {
    let mut sets = Vec::new();
    let mut at = 5;
    let mut read_list = |count_mask: u8| -> Result<(), RecordingError> {
        let count = avcc.get(at).ok_or(RecordingError::BadAvcC)? & count_mask;
        at += 1;
        for _ in 0..count {
            let len = avcc.get(at..at + 2).ok_or(RecordingError::BadAvcC)?;
            let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
            let nal = avcc
                .get(at + 2..at + 2 + len)
                .ok_or(RecordingError::BadAvcC)?;
            sets.push(nal);
            at += 2 + len;
        }
        Ok(())
    };
    read_list(0x1f)?;
    read_list(0xff)?;
    Ok(sets)
}

/// The signer's SPKI, from the stream's own SEIs.
fn signer_spki(units: &[Unit]) -> Result<Vec<u8>, RecordingError> {
    let mut validator = StreamValidator::new(Codec::H264);
    for unit in units {
        for nal in annexb_nal_units(&unit.bytes) {
            // A SEI that does not parse is skipped, as the CLI does.
            let _ = validator.push_nal(nal);
        }
        if let Some(spki) = validator.signer_spki() {
            return Ok(spki.to_vec());
        }
    }
    Err(RecordingError::NotSigned)
}

fn gops_of(units: &[Unit]) -> Result<Vec<Range<usize>>, RecordingError> {
    let starts: Vec<usize> = (0..units.len()).filter(|&i| units[i].keyframe).collect();
    if starts.first() != Some(&0) {
        return Err(RecordingError::NoKeyframe);
    }
    let ends = starts.iter().skip(1).copied().chain([units.len()]);
    Ok(starts.iter().zip(ends).map(|(&s, e)| s..e).collect())
}

/// The WebCodecs codec string of an H.264 SPS NAL unit.
fn codec_of_sps(sps: &[u8]) -> Option<String> {
    let b = sps.get(1..4)?;
    Some(format!("avc1.{:02x}{:02x}{:02x}", b[0], b[1], b[2]))
}

impl Recording {
    /// Reads `path`: `.mp4`, or Annex B H.264 otherwise.
    pub fn read(path: &Path) -> Result<Recording, RecordingError> {
        let read_error = |e: std::io::Error| RecordingError::Read {
            path: path.to_path_buf(),
            reason: frameseal_native::io_reason(&e),
        };
        let bytes = std::fs::metadata(path).map_err(read_error)?.len();
        if bytes > MAX_RECORDING_BYTES {
            return Err(RecordingError::TooLarge {
                path: path.to_path_buf(),
                bytes,
            });
        }
        let file = std::fs::read(path).map_err(read_error)?;
        if file.get(4..8) == Some(b"ftyp") {
            Recording::from_mp4(&file)
        } else {
            Recording::from_annexb(&file)
        }
    }

    /// A plain (not fragmented) MP4 recording.
    pub fn from_mp4(file: &[u8]) -> Result<Recording, RecordingError> {
        let track = mp4::video_track(file).map_err(RecordingError::Mp4)?;
        if track.codec != Codec::H264 {
            return Err(RecordingError::NotH264);
        }
        let sets = parameter_sets(&track.config)?;
        let mut units = Vec::with_capacity(track.len());
        for i in 0..track.len() {
            let sample = track
                .sample(file, i)
                .ok_or(RecordingError::Mp4(Mp4Error::Truncated))?;
            let nals = track
                .nal_units(sample)
                .map_err(|_| RecordingError::BadSample(i))?;
            let keyframe = nals.iter().any(|n| nal_type(n) == 5);
            let with_sets: Vec<&[u8]> = if keyframe {
                sets.iter().copied().chain(nals).collect()
            } else {
                nals
            };
            units.push(unit_of(&with_sets));
        }
        let gops = gops_of(&units)?;
        let spki = signer_spki(&units)?;
        Ok(Recording {
            units,
            gops,
            spki,
            codec: track.codec_string(),
            size: track.size,
        })
    }

    /// An Annex B H.264 recording.
    pub fn from_annexb(file: &[u8]) -> Result<Recording, RecordingError> {
        let nals = annexb_nal_units(file);
        let codec = nals
            .iter()
            .find(|n| nal_type(n) == 7)
            .and_then(|sps| codec_of_sps(sps))
            .ok_or(RecordingError::NoKeyframe)?;
        let units = access_units(&nals);
        let gops = gops_of(&units)?;
        let spki = signer_spki(&units)?;
        Ok(Recording {
            units,
            gops,
            spki,
            codec,
            // Not read from the SPS: the feed takes the size from the
            // genuine recording, an MP4.
            size: (0, 0),
        })
    }

    /// How many pictures GOP `gop` has.
    pub fn pictures_in(&self, gop: usize) -> usize {
        self.gops.get(gop).map_or(0, |range| {
            self.units[range.clone()]
                .iter()
                .filter(|u| u.picture)
                .count()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn fixture(name: &str) -> Recording {
        Recording::read(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/signed-video")
                .join(name),
        )
        .unwrap()
    }

    #[test]
    fn the_axis_recording_is_five_gops_of_one_signer() {
        let genuine = fixture("axis_signed_test_h264.mp4");
        let counts: Vec<usize> = genuine.gops.iter().map(|g| g.len()).collect();
        // The last GOP's ninth unit is a SEI alone (it signs the last GOP).
        assert_eq!(counts, [62, 62, 62, 62, 9]);
        assert_eq!(
            (0..5).map(|g| genuine.pictures_in(g)).collect::<Vec<_>>(),
            [62, 62, 62, 62, 8]
        );
        assert!(!genuine.units[genuine.units.len() - 1].picture);
        assert!(genuine.units[0].bytes.starts_with(&[0, 0, 0, 1, 0x67]));
        assert_eq!(genuine.size, (480, 640));
        assert!(genuine.codec.starts_with("avc1."), "{}", genuine.codec);

        let other = fixture("frameseal_rsa_signed_h264.h264");
        let counts: Vec<usize> = (0..other.gops.len())
            .map(|g| other.pictures_in(g))
            .collect();
        assert_eq!(counts, [62, 62, 62, 14]);
        assert_ne!(other.spki, genuine.spki, "another camera's key");
        // The same pictures (the reference library signed the same
        // recording): what tells the cameras apart is the key alone.
        let slices = |r: &Recording, i: usize| -> Vec<u8> {
            annexb_nal_units(&r.units[i].bytes)
                .into_iter()
                .filter(|n| is_slice(n))
                .flatten()
                .copied()
                .collect()
        };
        assert_eq!(slices(&genuine, 5), slices(&other, 5));
    }

    #[test]
    fn access_units_split_at_a_new_picture_or_a_sei_after_one() {
        let sps: &[u8] = &[0x67, 1];
        let pps: &[u8] = &[0x68, 1];
        let idr: &[u8] = &[0x65, 0x88];
        let p_first: &[u8] = &[0x41, 0x9a];
        let p_second_slice: &[u8] = &[0x41, 0x01];
        let sei: &[u8] = &[0x06, 5];
        let units = access_units(&[sps, pps, idr, p_first, p_second_slice, sei, p_first, sei]);
        let shape: Vec<(usize, bool, bool)> = units
            .iter()
            .map(|u| (annexb_nal_units(&u.bytes).len(), u.picture, u.keyframe))
            .collect();
        assert_eq!(
            shape,
            [
                (3, true, true),
                (2, true, false),
                (2, true, false),
                (1, false, false)
            ]
        );
    }

    #[test]
    fn a_short_avcc_is_refused() {
        assert!(matches!(
            parameter_sets(&[1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 9, 0x67]),
            Err(RecordingError::BadAvcC)
        ));
        assert_eq!(
            parameter_sets(&[1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 1, 0x67, 1, 0, 1, 0x68]).unwrap(),
            [&[0x67][..], &[0x68][..]]
        );
    }
}
