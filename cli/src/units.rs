//! Media files as in-band units (SPEC §6.3), for `seal` and
//! `verify --codec`: an Annex B `.h264` / `.h265` elementary stream cut into
//! access units, AV1 temporal units from an IVF file or a low-overhead OBU
//! stream (`.obu`), or one JPEG file. Units come in file order, which is
//! decode order.

use std::fmt;
use std::path::Path;

use frameseal::inband::elementary::{Ivf, annexb_access_units, obu_temporal_units};
use frameseal::inband::{Layout, UnitCodec, UnitFormat};

use crate::args::Args;
use crate::error::CliError;

/// The `--codec` names and what they read.
pub const CODECS: &str = "h264, h265 (Annex B), av1 (IVF or OBU stream) or jpeg";

/// The unit format `--codec` names.
pub fn format(args: &Args) -> Result<UnitFormat, CliError> {
    let name = args
        .value("codec")
        .ok_or_else(|| args.usage_error(format!("missing --codec ({CODECS})")))?;
    let (codec, layout) = match name {
        "h264" => (UnitCodec::H264, Layout::AnnexB),
        "h265" => (UnitCodec::H265, Layout::AnnexB),
        "av1" => (UnitCodec::Av1, Layout::Obu),
        "jpeg" => (UnitCodec::Jpeg, Layout::Jpeg),
        other => return Err(args.usage_error(format!("--codec is {CODECS}, not '{other}'"))),
    };
    UnitFormat::new(codec, layout).map_err(|e| args.usage_error(format!("--codec: {e}")))
}

/// What unit `index` of the media file at `path` failing with `error`
/// becomes: the file's error, naming the unit.
pub fn unit_error(path: &Path, index: usize, error: impl fmt::Display) -> CliError {
    CliError::Media {
        path: path.to_path_buf(),
        why: format!("unit {index}: {error}"),
    }
}

/// A media file cut into units, and how to put changed units back.
pub enum MediaFile<'a> {
    /// Units back to back: Annex B access units, or AV1 temporal units of
    /// a low-overhead OBU stream.
    BackToBack(Vec<&'a [u8]>),
    /// An IVF file: one temporal unit per frame.
    Ivf(Ivf<'a>),
    /// One JPEG image.
    Jpeg(&'a [u8]),
}

impl<'a> MediaFile<'a> {
    /// `bytes` (read from `path`) cut into units of `format`.
    pub fn cut(
        bytes: &'a [u8],
        format: UnitFormat,
        path: &Path,
    ) -> Result<MediaFile<'a>, CliError> {
        let bad = |why: String| CliError::Media {
            path: path.to_path_buf(),
            why,
        };
        match format.codec() {
            UnitCodec::H264 | UnitCodec::H265 => annexb_access_units(bytes, format.codec())
                .map(MediaFile::BackToBack)
                .map_err(|e| bad(e.to_string())),
            // An IVF file starts with its signature; anything else is read
            // as OBUs, which must start with a temporal delimiter.
            UnitCodec::Av1 if bytes.starts_with(b"DKIF") => Ivf::parse(bytes)
                .map(MediaFile::Ivf)
                .map_err(|e| bad(e.to_string())),
            UnitCodec::Av1 => obu_temporal_units(bytes)
                .map(MediaFile::BackToBack)
                .map_err(|e| bad(format!("neither IVF nor an OBU stream: {e}"))),
            UnitCodec::Jpeg => Ok(MediaFile::Jpeg(bytes)),
        }
    }

    /// The units, in file order.
    pub fn units(&self) -> Vec<&'a [u8]> {
        match self {
            MediaFile::BackToBack(units) => units.clone(),
            MediaFile::Ivf(ivf) => ivf.frames.iter().map(|(_, data)| *data).collect(),
            MediaFile::Jpeg(image) => vec![*image],
        }
    }

    /// The file again, with `units` (one per unit, same order) in place of
    /// the units it held.
    pub fn with_units(&self, units: &[Vec<u8>]) -> Vec<u8> {
        match self {
            MediaFile::Ivf(ivf) => ivf.with_frames(units),
            MediaFile::BackToBack(_) | MediaFile::Jpeg(_) => units.concat(),
        }
    }
}
