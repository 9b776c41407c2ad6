//! The init segment: `ftyp` + `moov`, down to the video track's sample
//! entry and every track's `trex` defaults.

use alloc::vec::Vec;

use super::boxes::{BoxRef, Boxes};
use super::{BoxType, Fmp4Error, codec_of_entry, push};
use crate::inband::UnitCodec;

/// A track's fragment defaults from its `trex` box (ISO/IEC 14496-12
/// §8.8.3), used where a `tfhd` and `trun` give none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackDefaults {
    /// The track.
    pub track_id: u32,
    /// The 1-based sample description index.
    pub sample_description_index: u32,
    /// The sample duration, in the track's timescale.
    pub duration: u32,
    /// The sample size, in bytes.
    pub size: u32,
    /// The sample flags.
    pub flags: u32,
}

/// What a fragmented MP4 init segment says about its one video track;
/// exists only when that track, its configuration record and every track's
/// defaults were read without fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitSegment {
    track_id: u32,
    timescale: u32,
    codec: UnitCodec,
    entry: BoxType,
    config: Vec<u8>,
    nal_length_size: Option<u8>,
    tracks: Vec<TrackDefaults>,
}

impl InitSegment {
    /// Reads an init segment: top-level `ftyp` (optional), one `moov`, and
    /// `free` / `skip` boxes; nothing else.
    pub fn parse(bytes: &[u8]) -> Result<InitSegment, Fmp4Error> {
        let mut moov = None;
        let mut ftyp = false;
        for b in Boxes::new(bytes, 0, true) {
            let b = b?;
            match &b.kind.0 {
                b"ftyp" if !ftyp && moov.is_none() => ftyp = true,
                b"moov" if moov.is_none() => moov = Some(b),
                b"ftyp" | b"moov" => {
                    return Err(b.duplicate());
                }
                b"free" | b"skip" => {}
                _ => {
                    return Err(b.unexpected());
                }
            }
        }
        let moov = moov.ok_or(Fmp4Error::Missing {
            offset: 0,
            kind: BoxType(*b"moov"),
        })?;
        parse_moov(moov)
    }

    /// The video track's id.
    pub fn track_id(&self) -> u32 {
        self.track_id
    }

    /// The video track's timescale (`mdhd`), ticks per second; never 0.
    pub fn timescale(&self) -> u32 {
        self.timescale
    }

    /// The video codec.
    pub fn codec(&self) -> UnitCodec {
        self.codec
    }

    /// The sample entry's type (`avc1`, `avc3`, `hvc1`, `hev1`, `av01`),
    /// which tells whether parameter sets may also travel in samples.
    pub fn sample_entry(&self) -> BoxType {
        self.entry
    }

    /// The decoder configuration record: the `avcC` / `hvcC` / `av1C`
    /// payload without its 8-byte box header, as SPEC §6.3 takes it.
    pub fn config(&self) -> &[u8] {
        &self.config
    }

    /// Bytes of each NAL unit length in a sample (1, 2 or 4), from the
    /// configuration's `lengthSizeMinusOne`; `None` for AV1.
    pub fn nal_length_size(&self) -> Option<u8> {
        self.nal_length_size
    }

    /// Every track's `trex` defaults, the video track's among them.
    pub fn tracks(&self) -> &[TrackDefaults] {
        &self.tracks
    }

    /// The defaults of `track_id`, if the init segment has that track.
    pub fn track(&self, track_id: u32) -> Option<&TrackDefaults> {
        self.tracks.iter().find(|t| t.track_id == track_id)
    }
}

/// What one `trak` says.
struct Trak {
    track_id: u32,
    tkhd_offset: usize,
    video: Option<Video>,
}

/// The video parts of a `trak`.
struct Video {
    timescale: u32,
    codec: UnitCodec,
    entry: BoxType,
    config: Vec<u8>,
    nal_length_size: Option<u8>,
}

/// Most tracks an init segment may have: cameras send one or two, and the
/// checks for distinct ids compare every pair.
pub const MAX_TRACKS: usize = 64;

fn parse_moov(moov: BoxRef<'_>) -> Result<InitSegment, Fmp4Error> {
    let mut traks: Vec<Trak> = Vec::new();
    let mut trexes: Vec<TrackDefaults> = Vec::new();
    let mut mvex = false;
    for b in Boxes::new(moov.body, moov.body_offset, false) {
        let b = b?;
        match &b.kind.0 {
            b"trak" => {
                if traks.len() == MAX_TRACKS {
                    return Err(Fmp4Error::TooManyTracks { offset: b.offset });
                }
                let trak = parse_trak(b)?;
                if trak.track_id == 0 || traks.iter().any(|t| t.track_id == trak.track_id) {
                    return Err(Fmp4Error::BadTrackId {
                        offset: trak.tkhd_offset,
                        track_id: trak.track_id,
                    });
                }
                push(&mut traks, trak)?;
            }
            b"mvex" if !mvex => {
                mvex = true;
                for c in Boxes::new(b.body, b.body_offset, false) {
                    let c = c?;
                    if c.kind.0 == *b"trex" {
                        if trexes.len() == MAX_TRACKS {
                            return Err(Fmp4Error::TooManyTracks { offset: c.offset });
                        }
                        let t = parse_trex(c)?;
                        if trexes.iter().any(|x| x.track_id == t.track_id) {
                            return Err(c.duplicate());
                        }
                        push(&mut trexes, t)?;
                    }
                }
            }
            b"mvex" => {
                return Err(b.duplicate());
            }
            b"mdat" | b"moof" => {
                return Err(b.unexpected());
            }
            _ => {}
        }
    }
    if !mvex {
        return Err(Fmp4Error::Missing {
            offset: moov.offset,
            kind: BoxType(*b"mvex"),
        });
    }
    let mut found: Option<(u32, Video)> = None;
    for trak in traks.iter_mut() {
        if !trexes.iter().any(|t| t.track_id == trak.track_id) {
            return Err(Fmp4Error::NoTrackDefaults {
                track_id: trak.track_id,
            });
        }
        if let Some(video) = trak.video.take() {
            if found.is_some() {
                return Err(Fmp4Error::SeveralVideoTracks {
                    track_id: trak.track_id,
                });
            }
            found = Some((trak.track_id, video));
        }
    }
    // A trex for a track the moov does not have describes nothing.
    if let Some(t) = trexes
        .iter()
        .find(|t| !traks.iter().any(|k| k.track_id == t.track_id))
    {
        return Err(Fmp4Error::BadTrackId {
            offset: moov.offset,
            track_id: t.track_id,
        });
    }
    let (track_id, video) = found.ok_or(Fmp4Error::NoVideoTrack)?;
    Ok(InitSegment {
        track_id,
        timescale: video.timescale,
        codec: video.codec,
        entry: video.entry,
        config: video.config,
        nal_length_size: video.nal_length_size,
        tracks: trexes,
    })
}

fn parse_trex(b: BoxRef<'_>) -> Result<TrackDefaults, Fmp4Error> {
    let mut r = b.reader();
    r.versioned(0)?;
    let t = TrackDefaults {
        track_id: r.u32()?,
        sample_description_index: r.u32()?,
        duration: r.u32()?,
        size: r.u32()?,
        flags: r.u32()?,
    };
    r.finish()?;
    Ok(t)
}

/// Finds the one child of type `kind`, refusing a second.
fn one<'a>(parent: &BoxRef<'a>, kind: &[u8; 4]) -> Result<Option<BoxRef<'a>>, Fmp4Error> {
    let mut found = None;
    for b in Boxes::new(parent.body, parent.body_offset, false) {
        let b = b?;
        if b.kind.0 == *kind {
            if found.is_some() {
                return Err(b.duplicate());
            }
            found = Some(b);
        }
    }
    Ok(found)
}

/// Like [`one`], but the child is required.
fn required<'a>(parent: &BoxRef<'a>, kind: &[u8; 4]) -> Result<BoxRef<'a>, Fmp4Error> {
    one(parent, kind)?.ok_or(Fmp4Error::Missing {
        offset: parent.offset,
        kind: BoxType(*kind),
    })
}

fn parse_trak(trak: BoxRef<'_>) -> Result<Trak, Fmp4Error> {
    let tkhd = required(&trak, b"tkhd")?;
    let mut r = tkhd.reader();
    let (version, _) = r.versioned(1)?;
    r.skip_times(version)?;
    let track_id = r.u32()?;
    let mdia = required(&trak, b"mdia")?;
    let hdlr = required(&mdia, b"hdlr")?;
    let mut r = hdlr.reader();
    r.full_header()?;
    r.u32()?; // pre_defined
    let handler = r.take(4)?;
    if handler != b"vide" {
        return Ok(Trak {
            track_id,
            tkhd_offset: tkhd.offset,
            video: None,
        });
    }
    let mdhd = required(&mdia, b"mdhd")?;
    let mut r = mdhd.reader();
    let (version, _) = r.versioned(1)?;
    r.skip_times(version)?;
    let timescale = r.u32()?;
    if timescale == 0 {
        return Err(Fmp4Error::ZeroTimescale);
    }
    let minf = required(&mdia, b"minf")?;
    let stbl = required(&minf, b"stbl")?;
    let stsd = required(&stbl, b"stsd")?;
    let mut r = stsd.reader();
    r.versioned(0)?;
    let count = r.u32()?;
    let entries_at = stsd.body_offset + r.position();
    let entries = r.rest();
    let mut it = Boxes::new(entries, entries_at, false);
    let entry = match it.next() {
        Some(e) => e?,
        None => {
            return Err(Fmp4Error::UnsupportedCodec {
                offset: stsd.offset,
                kind: stsd.kind,
            });
        }
    };
    if count != 1 || it.next().is_some() {
        return Err(Fmp4Error::UnsupportedCodec {
            offset: stsd.offset,
            kind: stsd.kind,
        });
    }
    let video = parse_entry(entry, timescale)?;
    Ok(Trak {
        track_id,
        tkhd_offset: tkhd.offset,
        video: Some(video),
    })
}

/// Bytes of a VisualSampleEntry before its child boxes (ISO/IEC 14496-12
/// §12.1.3): SampleEntry's 8, then 70.
const VISUAL_ENTRY_LEN: usize = 78;

fn parse_entry(entry: BoxRef<'_>, timescale: u32) -> Result<Video, Fmp4Error> {
    let codec = codec_of_entry(entry.kind).ok_or(Fmp4Error::UnsupportedCodec {
        offset: entry.offset,
        kind: entry.kind,
    })?;
    let mut r = entry.reader();
    r.take(VISUAL_ENTRY_LEN)?;
    let children_at = entry.body_offset + r.position();
    let children = r.rest();
    let config_kind: &[u8; 4] = match codec {
        UnitCodec::H264 => b"avcC",
        UnitCodec::H265 => b"hvcC",
        _ => b"av1C",
    };
    let parent = BoxRef {
        kind: entry.kind,
        offset: entry.offset,
        body_offset: children_at,
        body: children,
    };
    let config = required(&parent, config_kind)?;
    let bad = Fmp4Error::BadConfig {
        offset: config.offset,
        kind: config.kind,
    };
    let nal_length_size = match codec {
        UnitCodec::H264 => Some(check_avcc(config.body).ok_or(bad)?),
        UnitCodec::H265 => Some(check_hvcc(config.body).ok_or(bad)?),
        _ => {
            // marker 1, version 1; then three bytes of fields and configOBUs.
            if config.body.len() < 4 || config.body[0] != 0x81 {
                return Err(bad);
            }
            None
        }
    };
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(config.body.len())
        .map_err(|_| crate::memory::OutOfMemory {
            bytes: config.body.len(),
        })?;
    bytes.extend_from_slice(config.body);
    Ok(Video {
        timescale,
        codec,
        entry: entry.kind,
        config: bytes,
        nal_length_size,
    })
}

/// A cursor for the configuration records, `None` when short.
struct Cur<'a>(&'a [u8]);

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    /// A list of `count` parameter sets, each after its u16 length.
    fn sets(&mut self, count: usize) -> Option<()> {
        for _ in 0..count {
            let len = self.u16()?;
            self.take(usize::from(len))?;
        }
        Some(())
    }
}

/// The nalLengthSize of an AVCDecoderConfigurationRecord (ISO/IEC 14496-15
/// §5.3.3.1), after checking its version and parameter set lists. Bytes
/// after the PPS list (the high-profile extension) are allowed.
fn check_avcc(body: &[u8]) -> Option<u8> {
    let mut c = Cur(body);
    if c.u8()? != 1 {
        return None;
    }
    c.take(3)?; // profile, compatibility, level
    let size = (c.u8()? & 3) + 1;
    let sps = c.u8()? & 0x1f;
    c.sets(usize::from(sps))?;
    let pps = c.u8()?;
    c.sets(usize::from(pps))?;
    (size != 3).then_some(size)
}

/// The nalLengthSize of an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15
/// §8.3.3.1), after checking its version and every NAL unit array, which
/// must fill the box.
fn check_hvcc(body: &[u8]) -> Option<u8> {
    let mut c = Cur(body);
    if c.u8()? != 1 {
        return None;
    }
    c.take(20)?;
    let size = (c.u8()? & 3) + 1;
    let arrays = c.u8()?;
    for _ in 0..arrays {
        c.u8()?; // completeness, type
        let n = c.u16()?;
        c.sets(usize::from(n))?;
    }
    (size != 3 && c.0.is_empty()).then_some(size)
}
