//! In-band carriage (SPEC §6.3) on real encoder output: the fixtures in
//! tests/fixtures/inband/ (made by tools/make-inband-fixtures.sh; what each
//! one is: its README). Every unit of every fixture, in every layout it can
//! come in, is sealed, found, stripped, altered and re-laid-out, and the
//! sealed streams are decoded by FFmpeg when it is installed.
//!
//! The streams are cut into units here by a reader of this file's own (start
//! codes, access-unit boundaries, IVF frames, OBU sizes), not by the module
//! under test.

use std::path::PathBuf;
use std::process::Command;

use frameseal::inband::{self, FRAMESEAL_UUID, Layout, SEAL_LEN, UnitCodec, UnitError, UnitFormat};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inband")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn format(codec: UnitCodec, layout: Layout) -> UnitFormat {
    UnitFormat::new(codec, layout).unwrap()
}

/// A seal as a camera would make it: magic, version 2, the codec byte, a
/// small seq and content length (zero bytes: emulation prevention in
/// H.26x), the rest pseudo-random.
fn seal_for(codec: UnitCodec, n: u64) -> [u8; SEAL_LEN] {
    let mut seal = [0u8; SEAL_LEN];
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ n;
    for b in seal.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    seal[..5].copy_from_slice(b"FSEAL");
    seal[5] = 2;
    seal[6] = 0;
    seal[7] = codec.codec_byte();
    seal[32..40].copy_from_slice(&n.to_be_bytes());
    seal[48..52].copy_from_slice(&1234u32.to_be_bytes());
    seal
}

fn content(
    unit: &[u8],
    format: UnitFormat,
    keyframe: bool,
    config: Option<&[u8]>,
) -> Result<Vec<u8>, UnitError> {
    let mut out = Vec::new();
    let len = inband::content(unit, format, keyframe, config, &mut |piece| {
        out.extend_from_slice(piece)
    })?;
    assert_eq!(len, out.len() as u64);
    Ok(out)
}

// ---- H.264 / H.265 elementary streams, read independently -------------

/// The class of a NAL unit: see [`Nal::class`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Vcl,
    Sei,
    ParameterSet,
    Other,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Nal {
    H264,
    H265,
}

impl Nal {
    fn of(codec: UnitCodec) -> Nal {
        match codec {
            UnitCodec::H264 => Nal::H264,
            UnitCodec::H265 => Nal::H265,
            _ => unreachable!(),
        }
    }

    fn nal_type(self, nal: &[u8]) -> u8 {
        match self {
            Nal::H264 => nal[0] & 0x1f,
            Nal::H265 => (nal[0] >> 1) & 0x3f,
        }
    }

    /// What the NAL unit is, from its type: H.264 Table 7-1, H.265
    /// Table 7-1, as far as these tests need.
    fn class(self, nal: &[u8]) -> Class {
        match (self, self.nal_type(nal)) {
            (Nal::H264, 1..=5) | (Nal::H265, 0..=31) => Class::Vcl,
            (Nal::H264, 6) | (Nal::H265, 39 | 40) => Class::Sei,
            (Nal::H264, 7 | 8) | (Nal::H265, 32..=34) => Class::ParameterSet,
            _ => Class::Other,
        }
    }

    /// Whether this NAL unit starts a new access unit once the current one
    /// has a picture (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4): parameter sets,
    /// AUD, prefix SEI, or the first slice of a picture.
    fn starts_access_unit(self, nal: &[u8]) -> bool {
        let t = self.nal_type(nal);
        let vcl = self.class(nal) == Class::Vcl;
        match self {
            // first_mb_in_slice = 0 is a ue(v) whose first bit is 1.
            Nal::H264 => matches!(t, 6..=9 | 14..=18) || (vcl && nal[1] & 0x80 != 0),
            // first_slice_segment_in_pic_flag.
            Nal::H265 => {
                matches!(t, 32..=35 | 39 | 41..=44 | 48..=55) || (vcl && nal[2] & 0x80 != 0)
            }
        }
    }

    fn aud(self) -> Vec<u8> {
        match self {
            Nal::H264 => vec![0x09, 0xf0],
            Nal::H265 => vec![35 << 1, 0x01, 0x50],
        }
    }
}

/// Each NAL unit of an Annex B stream: (where its start code begins, its
/// bytes without trailing zeros).
fn annexb_nals(stream: &[u8]) -> Vec<(usize, &[u8])> {
    let starts: Vec<usize> = (0..stream.len().saturating_sub(2))
        .filter(|&i| stream[i..i + 3] == [0, 0, 1])
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &sc)| {
            let end = starts.get(k + 1).copied().unwrap_or(stream.len());
            let mut nal = &stream[sc + 3..end];
            while nal.last() == Some(&0) {
                nal = &nal[..nal.len() - 1];
            }
            let mut from = sc;
            while from > 0 && stream[from - 1] == 0 {
                from -= 1;
            }
            (from, nal)
        })
        .collect()
}

/// The access units of an Annex B stream in stream (decode) order, each the
/// stream's own bytes from its first start code to the next unit's.
fn access_units(stream: &[u8], nal: Nal) -> Vec<Vec<u8>> {
    let mut starts = Vec::new();
    let mut has_picture = false;
    for (at, unit) in annexb_nals(stream) {
        if starts.is_empty() || (has_picture && nal.starts_access_unit(unit)) {
            starts.push(at);
            has_picture = false;
        }
        has_picture |= nal.class(unit) == Class::Vcl;
    }
    starts.push(stream.len());
    starts
        .windows(2)
        .map(|w| stream[w[0]..w[1]].to_vec())
        .collect()
}

/// The NAL units laid out in `layout`: each after a 4-byte start code
/// (Annex B) or its big-endian length (avcc); `None` when a length does not
/// fit the layout's length field.
fn relaid(nals: &[&[u8]], layout: Layout) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for nal in nals {
        match layout {
            Layout::AnnexB => out.extend_from_slice(&[0, 0, 0, 1]),
            Layout::Avcc { nal_length_size } => {
                let len = u32::try_from(nal.len()).ok()?.to_be_bytes();
                let (over, field) = len.split_at(4 - usize::from(nal_length_size));
                if over.iter().any(|&b| b != 0) {
                    return None;
                }
                out.extend_from_slice(field);
            }
            _ => unreachable!(),
        }
        out.extend_from_slice(nal);
    }
    Some(out)
}

fn avcc_layout(nal_length_size: u8) -> Layout {
    Layout::Avcc { nal_length_size }
}

fn avcc_nals(unit: &[u8], size: usize) -> Vec<&[u8]> {
    let mut nals = Vec::new();
    let mut rest = unit;
    while !rest.is_empty() {
        let len = rest[..size].iter().fold(0, |l, &b| (l << 8) | b as usize);
        nals.push(&rest[size..size + len]);
        rest = &rest[size + len..];
    }
    nals
}

fn nals_of(unit: &[u8], layout: Layout) -> Vec<&[u8]> {
    match layout {
        Layout::AnnexB => annexb_nals(unit).into_iter().map(|(_, n)| n).collect(),
        Layout::Avcc { nal_length_size } => avcc_nals(unit, nal_length_size as usize),
        _ => unreachable!(),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---- AV1 in IVF, read independently ------------------------------------

/// The frames (temporal units) of an IVF file.
fn ivf_frames(file: &[u8]) -> Vec<Vec<u8>> {
    assert_eq!(&file[..4], b"DKIF");
    let mut pos = u16::from_le_bytes([file[6], file[7]]) as usize;
    let mut frames = Vec::new();
    while pos < file.len() {
        let size = u32::from_le_bytes(file[pos..pos + 4].try_into().unwrap()) as usize;
        frames.push(file[pos + 12..pos + 12 + size].to_vec());
        pos += 12 + size;
    }
    frames
}

/// The IVF file with its frames replaced.
fn ivf_with(file: &[u8], frames: &[Vec<u8>]) -> Vec<u8> {
    let mut pos = u16::from_le_bytes([file[6], file[7]]) as usize;
    let mut out = file[..pos].to_vec();
    for frame in frames {
        let size = u32::from_le_bytes(file[pos..pos + 4].try_into().unwrap()) as usize;
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&file[pos + 4..pos + 12]);
        out.extend_from_slice(frame);
        pos += 12 + size;
    }
    out
}

/// The OBUs of a temporal unit: (type, the whole OBU's bytes).
fn obus(unit: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < unit.len() {
        let header = unit[pos];
        assert!(header & 0x02 != 0, "fixture OBUs have size fields");
        let mut at = pos + 1 + usize::from(header & 0x04 != 0);
        let mut size = 0usize;
        let mut shift = 0;
        loop {
            let b = unit[at];
            at += 1;
            size |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        out.push(((header >> 3) & 0x0f, &unit[pos..at + size]));
        pos = at + size;
    }
    out
}

// ---- The cases: every fixture in every layout ---------------------------

struct Case {
    name: String,
    format: UnitFormat,
    units: Vec<Vec<u8>>,
}

fn video_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (file, codec) in [
        ("h264-bframes.h264", UnitCodec::H264),
        ("h265.h265", UnitCodec::H265),
    ] {
        let units = access_units(&fixture(file), Nal::of(codec));
        for size in [1u8, 2, 4] {
            let layout = avcc_layout(size);
            let laid: Option<Vec<Vec<u8>>> = units
                .iter()
                .map(|u| relaid(&nals_of(u, Layout::AnnexB), layout))
                .collect();
            if let Some(laid) = laid {
                cases.push(Case {
                    name: format!("{file} avcc{size}"),
                    format: format(codec, layout),
                    units: laid,
                });
            }
        }
        cases.push(Case {
            name: format!("{file} annexb"),
            format: format(codec, Layout::AnnexB),
            units,
        });
    }
    cases.push(Case {
        name: "av1.ivf obu".into(),
        format: format(UnitCodec::Av1, Layout::Obu),
        units: ivf_frames(&fixture("av1.ivf")),
    });
    cases
}

const JPEGS: [&str; 4] = [
    "jfif.jpg",
    "no-app.jpg",
    "exif.jpg",
    "progressive-restart.jpg",
];

fn all_cases() -> Vec<Case> {
    let mut cases = video_cases();
    for file in JPEGS {
        cases.push(Case {
            name: file.into(),
            format: format(UnitCodec::Jpeg, Layout::Jpeg),
            units: vec![fixture(file)],
        });
    }
    cases
}

/// Every unit of every case ([`all_cases`]), in order, for the tests that
/// take each in turn: what to call it in a message (its case and index),
/// its format, its index, its bytes and whether it is a keyframe.
fn all_samples() -> Vec<(String, UnitFormat, usize, Vec<u8>, bool)> {
    all_cases()
        .into_iter()
        .flat_map(|case| {
            let (name, format) = (case.name, case.format);
            case.units
                .into_iter()
                .enumerate()
                .map(move |(index, unit)| {
                    let keyframe = inband::is_keyframe(&unit, format).unwrap();
                    (
                        format!("{name} unit {index}"),
                        format,
                        index,
                        unit,
                        keyframe,
                    )
                })
        })
        .collect()
}

/// The sealed unit with its seal taken out as a relay that drops SEI /
/// metadata / APP15 would: the seal's NAL unit, OBU or segment removed.
fn strip_seal(unit: &[u8], format: UnitFormat) -> Vec<u8> {
    match format.codec() {
        UnitCodec::H264 | UnitCodec::H265 => {
            let nal = Nal::of(format.codec());
            let kept: Vec<&[u8]> = nals_of(unit, format.layout())
                .into_iter()
                .filter(|n| !(nal.class(n) == Class::Sei && contains(n, &FRAMESEAL_UUID)))
                .collect();
            relaid(&kept, format.layout()).unwrap()
        }
        UnitCodec::Av1 => obus(unit)
            .into_iter()
            .filter(|(t, o)| !(*t == 5 && contains(o, &FRAMESEAL_UUID)))
            .flat_map(|(_, o)| o.to_vec())
            .collect(),
        UnitCodec::Jpeg => {
            let at = unit
                .windows(20)
                .position(|w| w[..4] == [0xff, 0xef, 0x00, 0xa6] && w[4..] == FRAMESEAL_UUID)
                .unwrap();
            [&unit[..at], &unit[at + 168..]].concat()
        }
    }
}

#[test]
fn fixtures_split_into_the_units_their_encoders_made() {
    let h264 = access_units(&fixture("h264-bframes.h264"), Nal::H264);
    let h265 = access_units(&fixture("h265.h265"), Nal::H265);
    let av1 = ivf_frames(&fixture("av1.ivf"));
    assert_eq!((h264.len(), h265.len(), av1.len()), (24, 24, 16));
    for (units, codec) in [(&h264, UnitCodec::H264), (&h265, UnitCodec::H265)] {
        let nal = Nal::of(codec);
        let f = format(codec, Layout::AnnexB);
        let keyframes: Vec<usize> = (0..units.len())
            .filter(|&i| inband::is_keyframe(&units[i], f).unwrap())
            .collect();
        // In decode order: x264's second IDR (shown 12th) closes its GOP;
        // x265's is a CRA (open GOP) decoded before the two B frames shown
        // just before it.
        let expected = if codec == UnitCodec::H264 {
            [0, 12]
        } else {
            [0, 10]
        };
        assert_eq!(keyframes, expected, "{codec}");
        let picture_type = |u: &[u8]| {
            annexb_nals(u)
                .into_iter()
                .find(|&(_, n)| nal.class(n) == Class::Vcl)
                .map(|(_, n)| nal.nal_type(n))
        };
        let types: Vec<u8> = keyframes
            .iter()
            .filter_map(|&i| picture_type(&units[i]))
            .collect();
        // H.264 IDR (5); H.265 IDR_N_LP (20) then CRA (21).
        assert_eq!(
            types,
            if codec == UnitCodec::H264 {
                [5, 5]
            } else {
                [20, 21]
            },
            "{codec}"
        );
        // The encoders' own SEI (x264 / x265 version strings) is no seal.
        assert!(contains(&units[0], b"x26"));
        assert_eq!(inband::find_seal(&units[0], f), Ok(None));
    }
    // Decode order: with B-frames, the unit after a keyframe is a P frame
    // whose picture is shown after the two B frames that follow it
    // (slice_type 5 = P, 6 = B as a ue(v) after first_mb_in_slice = 0).
    let slice_types: Vec<u8> = h264[1..4]
        .iter()
        .map(|u| {
            let first_vcl = annexb_nals(u)
                .into_iter()
                .map(|(_, n)| n)
                .find(|n| (1..=5).contains(&(n[0] & 0x1f)))
                .unwrap();
            first_vcl[1]
        })
        .collect();
    // 1 (first_mb 0) 00110 (ue 5: P) / 1 00111 (ue 6: B): top bits.
    assert_eq!(
        slice_types.iter().map(|b| b >> 2).collect::<Vec<_>>(),
        [0b100110, 0b100111, 0b100111]
    );
    let f = format(UnitCodec::Av1, Layout::Obu);
    let keyframes: Vec<usize> = (0..av1.len())
        .filter(|&i| inband::is_keyframe(&av1[i], f).unwrap())
        .collect();
    assert_eq!(keyframes, [0, 8]);
    for file in JPEGS {
        assert_eq!(
            inband::find_seal(&fixture(file), format(UnitCodec::Jpeg, Layout::Jpeg)),
            Ok(None)
        );
    }
}

#[test]
fn sealing_leaves_the_content_unchanged_and_the_seal_is_found_exactly() {
    for (what, format, index, unit, keyframe) in all_samples() {
        let seal = seal_for(format.codec(), index as u64);
        let sealed = inband::insert_seal(&unit, format, &seal).unwrap();
        assert_eq!(
            inband::find_seal(&sealed, format)
                .unwrap()
                .and_then(|s| s.seal().copied()),
            Some(seal),
            "{what}"
        );
        assert_eq!(
            content(&sealed, format, keyframe, None).unwrap(),
            content(&unit, format, keyframe, None).unwrap(),
            "{what}"
        );
        assert_eq!(inband::is_keyframe(&sealed, format), Ok(keyframe), "{what}");
        assert_eq!(
            inband::insert_seal(&sealed, format, &seal),
            Err(UnitError::AlreadySealed),
            "{what}"
        );
    }
}

#[test]
fn a_unit_with_its_seal_stripped_is_unsigned_with_the_same_content() {
    for (what, format, _, unit, keyframe) in all_samples() {
        let sealed = inband::insert_seal(&unit, format, &seal_for(format.codec(), 7)).unwrap();
        let stripped = strip_seal(&sealed, format);
        assert_eq!(inband::find_seal(&stripped, format), Ok(None), "{what}");
        assert_eq!(
            content(&stripped, format, keyframe, None),
            content(&unit, format, keyframe, None),
            "{what}"
        );
        if !matches!(format.layout(), Layout::AnnexB) {
            assert_eq!(stripped, unit, "{what}");
        }
    }
}

#[test]
fn a_unit_with_two_seals_is_refused() {
    for case in all_cases() {
        let unit = &case.units[0];
        let sealed =
            inband::insert_seal(unit, case.format, &seal_for(case.format.codec(), 1)).unwrap();
        // The inserted bytes once more, right after the first copy (from
        // the first byte that differs, they are a rotation of the seal's
        // NAL unit, OBU or segment, so this is the same as inserting it twice).
        let at = (0..sealed.len())
            .find(|&i| sealed[i] != unit.get(i).copied().unwrap_or(0))
            .unwrap();
        let seal_len = sealed.len() - unit.len();
        let twice = [&sealed[..at + seal_len], &sealed[at..]].concat();
        assert_eq!(
            inband::find_seal(&twice, case.format),
            Err(UnitError::TwoSeals),
            "{}",
            case.name
        );
        assert_eq!(
            content(&twice, case.format, true, None),
            Err(UnitError::TwoSeals),
            "{}",
            case.name
        );
    }
}

/// A byte of `bytes` that can be changed without making a
/// forbidden sequence: above 3, followed and preceded by non-zero bytes,
/// not FF (JPEG markers).
fn changeable_byte(bytes: &[u8]) -> usize {
    (1..bytes.len() - 1)
        .find(|&i| {
            (4..0xfe).contains(&bytes[i])
                && bytes[i - 1] != 0
                && bytes[i - 1] != 0xff
                && bytes[i + 1] != 0
        })
        .expect("a changeable byte")
}

#[test]
fn an_altered_picture_byte_changes_the_content() {
    for (what, format, _, unit, keyframe) in all_samples() {
        // The picture's bytes: the largest VCL NAL unit, the last frame
        // OBU's payload, the JPEG's scan data.
        let (from, to) = match format.codec() {
            UnitCodec::H264 | UnitCodec::H265 => {
                let nal = Nal::of(format.codec());
                let vcl = nals_of(&unit, format.layout())
                    .into_iter()
                    .filter(|n| nal.class(n) == Class::Vcl)
                    .max_by_key(|n| n.len())
                    .unwrap();
                let from = vcl.as_ptr() as usize - unit.as_ptr() as usize;
                (from + 3, from + vcl.len())
            }
            UnitCodec::Av1 => {
                let (_, frame) = obus(&unit)
                    .into_iter()
                    .rev()
                    .find(|(t, _)| [3, 4, 6].contains(t))
                    .unwrap();
                let from = frame.as_ptr() as usize - unit.as_ptr() as usize;
                (from + 3, from + frame.len())
            }
            UnitCodec::Jpeg => (unit.len() / 2, unit.len() - 2),
        };
        if to - from < 8 {
            continue; // an AV1 frame header that only shows an earlier frame
        }
        let at = from + changeable_byte(&unit[from..to]);
        let mut altered = unit.clone();
        altered[at] = if altered[at] == 0xfd {
            0xfc
        } else {
            altered[at] + 1
        };
        let before = content(&unit, format, keyframe, None).unwrap();
        let after = content(&altered, format, keyframe, None).unwrap();
        assert_eq!(before.len(), after.len(), "{what}");
        assert_ne!(before, after, "{what}");
    }
}

#[test]
fn a_relay_adding_an_aud_or_repeating_parameter_sets_changes_nothing_altering_one_does() {
    for case in video_cases() {
        let layout = case.format.layout();
        let keyframes: Vec<&Vec<u8>> = case
            .units
            .iter()
            .filter(|u| inband::is_keyframe(u, case.format).unwrap())
            .collect();
        assert_eq!(keyframes.len(), 2);
        for unit in keyframes {
            let expected = content(unit, case.format, true, None).unwrap();
            let same: Vec<Vec<u8>>;
            let altered: Vec<u8>;
            if case.format.codec() == UnitCodec::Av1 {
                let obus = obus(unit);
                let seq = obus.iter().find(|(t, _)| *t == 1).unwrap().1;
                let padding = [(15 << 3) | 0x02, 3, 0, 0, 0];
                let mut repeated: Vec<&[u8]> = obus.iter().map(|o| o.1).collect();
                repeated.push(seq);
                let mut padded: Vec<&[u8]> = obus.iter().map(|o| o.1).collect();
                padded.insert(1, &padding);
                same = vec![repeated.concat(), padded.concat()];
                let mut seq_altered = seq.to_vec();
                let at = seq_altered.len() - 2;
                seq_altered[at] ^= 0x10;
                altered = obus
                    .iter()
                    .map(|o| if o.1 == seq { &seq_altered[..] } else { o.1 })
                    .collect::<Vec<&[u8]>>()
                    .concat();
            } else {
                let nal = Nal::of(case.format.codec());
                let nals = nals_of(unit, layout);
                let aud = nal.aud();
                let sets: Vec<&[u8]> = nals
                    .iter()
                    .copied()
                    .filter(|n| nal.class(n) == Class::ParameterSet)
                    .collect();
                assert!(sets.len() >= 2, "{}", case.name);
                let with_aud: Vec<&[u8]> = [&[&aud[..]][..], &nals].concat();
                let first_vcl = nals
                    .iter()
                    .position(|n| nal.class(n) == Class::Vcl)
                    .unwrap();
                // The parameter sets repeated in another order just before the picture.
                let mut repeated = nals.clone();
                for set in sets.iter().rev() {
                    repeated.insert(first_vcl, set);
                }
                let mut reordered = sets.clone();
                reordered.reverse();
                reordered.extend(
                    nals.iter()
                        .copied()
                        .filter(|n| nal.class(n) != Class::ParameterSet),
                );
                same = vec![
                    relaid(&with_aud, layout).unwrap(),
                    relaid(&repeated, layout).unwrap(),
                    relaid(&reordered, layout).unwrap(),
                ];
                // The SPS's level changed (H.264: level_idc, byte 3; H.265:
                // a byte of profile_tier_level).
                let sps_type = if nal == Nal::H264 { 7 } else { 33 };
                let sps = *nals.iter().find(|n| nal.nal_type(n) == sps_type).unwrap();
                let mut sps_altered = sps.to_vec();
                sps_altered[3] ^= 0x01;
                let changed: Vec<&[u8]> = nals
                    .iter()
                    .map(|n| if *n == sps { &sps_altered[..] } else { n })
                    .collect();
                altered = relaid(&changed, layout).unwrap();
            }
            for relayed in same {
                assert_eq!(
                    content(&relayed, case.format, true, None).unwrap(),
                    expected,
                    "{}",
                    case.name
                );
            }
            let changed = content(&altered, case.format, true, None).unwrap();
            assert_eq!(changed.len(), expected.len());
            assert_ne!(changed, expected, "{}", case.name);
        }
    }
}

#[test]
fn avcc_and_annexb_give_the_same_content_and_the_same_seal() {
    for (file, codec) in [
        ("h264-bframes.h264", UnitCodec::H264),
        ("h265.h265", UnitCodec::H265),
    ] {
        let annexb = format(codec, Layout::AnnexB);
        let mut sizes_tried = [0usize; 5];
        for (i, unit) in access_units(&fixture(file), Nal::of(codec))
            .iter()
            .enumerate()
        {
            let keyframe = inband::is_keyframe(unit, annexb).unwrap();
            let expected = content(unit, annexb, keyframe, None).unwrap();
            let seal = seal_for(codec, i as u64);
            let sealed = inband::insert_seal(unit, annexb, &seal).unwrap();
            for size in [1u8, 2, 4] {
                let Some(avcc_unit) = relaid(&nals_of(unit, Layout::AnnexB), avcc_layout(size))
                else {
                    continue;
                };
                sizes_tried[size as usize] += 1;
                let f = format(codec, avcc_layout(size));
                assert_eq!(
                    content(&avcc_unit, f, keyframe, None).unwrap(),
                    expected,
                    "{file} unit {i} avcc{size}"
                );
                // Sealing in avcc is sealing in Annex B, laid out again.
                let sealed_avcc = inband::insert_seal(&avcc_unit, f, &seal).unwrap();
                assert_eq!(
                    Some(sealed_avcc),
                    relaid(&nals_of(&sealed, Layout::AnnexB), avcc_layout(size))
                );
            }
        }
        // Every unit in 2 and 4, and the small ones in 1.
        assert_eq!(sizes_tried[2], 24, "{file}");
        assert_eq!(sizes_tried[4], 24, "{file}");
        assert!(sizes_tried[1] > 0, "{file}");
    }
}

#[test]
fn keyframes_of_mp4_samples_take_their_parameter_sets_from_the_configuration_record() {
    // As an MP4 muxer stores them: parameter sets moved to avcC / hvcC /
    // av1C, avcc samples (4-byte lengths, FFmpeg's choice).
    for (file, record, codec) in [
        ("h264-bframes.h264", "h264.avcC", UnitCodec::H264),
        ("h265.h265", "h265.hvcC", UnitCodec::H265),
    ] {
        let config = fixture(record);
        let nal = Nal::of(codec);
        let avcc = format(codec, avcc_layout(4));
        for unit in access_units(&fixture(file), nal) {
            if !inband::is_keyframe(&unit, format(codec, Layout::AnnexB)).unwrap() {
                continue;
            }
            let expected = content(&unit, format(codec, Layout::AnnexB), true, None).unwrap();
            let sample: Vec<&[u8]> = nals_of(&unit, Layout::AnnexB)
                .into_iter()
                .filter(|n| nal.class(n) != Class::ParameterSet)
                .collect();
            let sample = relaid(&sample, avcc_layout(4)).unwrap();
            assert_eq!(
                content(&sample, avcc, true, None),
                Err(UnitError::NoParameterSets)
            );
            assert_eq!(
                content(&sample, avcc, true, Some(&config)).unwrap(),
                expected,
                "{file}"
            );
            let mut truncated = config.clone();
            truncated.pop();
            assert!(matches!(
                content(&sample, avcc, true, Some(&truncated)),
                Err(UnitError::BadConfig { .. })
            ));
        }
    }
    let config = fixture("av1.av1C");
    let obu = format(UnitCodec::Av1, Layout::Obu);
    for unit in ivf_frames(&fixture("av1.ivf")) {
        if !inband::is_keyframe(&unit, obu).unwrap() {
            continue;
        }
        let expected = content(&unit, obu, true, None).unwrap();
        // MP4 samples carry no temporal delimiter; this one no sequence header either.
        let sample: Vec<u8> = obus(&unit)
            .into_iter()
            .filter(|(t, _)| *t != 1 && *t != 2)
            .flat_map(|(_, o)| o.to_vec())
            .collect();
        assert_eq!(
            content(&sample, obu, true, None),
            Err(UnitError::NoParameterSets)
        );
        assert_eq!(
            content(&sample, obu, true, Some(&config)).unwrap(),
            expected
        );
    }
}

#[test]
fn jpeg_seals_go_after_app0_and_app1() {
    let f = format(UnitCodec::Jpeg, Layout::Jpeg);
    let seal = seal_for(UnitCodec::Jpeg, 1);
    for (file, expected_at) in [
        ("jfif.jpg", 2 + 18),
        ("no-app.jpg", 2),
        ("progressive-restart.jpg", 2 + 18),
    ] {
        let sealed = inband::insert_seal(&fixture(file), f, &seal).unwrap();
        assert_eq!(
            &sealed[expected_at..expected_at + 4],
            &[0xff, 0xef, 0x00, 0xa6],
            "{file}"
        );
    }
    // exif.jpg: APP0 (JFIF) then APP1 (Exif).
    let exif = fixture("exif.jpg");
    assert_eq!(&exif[2..4], &[0xff, 0xe0]);
    let app1 = 4 + u16::from_be_bytes([exif[4], exif[5]]) as usize;
    assert_eq!(&exif[app1..app1 + 2], &[0xff, 0xe1]);
    let after = app1 + 2 + u16::from_be_bytes([exif[app1 + 2], exif[app1 + 3]]) as usize;
    let sealed = inband::insert_seal(&exif, f, &seal).unwrap();
    assert_eq!(&sealed[after..after + 4], &[0xff, 0xef, 0x00, 0xa6]);
    // Bytes after EOI are not part of the image.
    let mut tail = sealed.clone();
    tail.extend_from_slice(b"\xff\xd8appended");
    assert_eq!(content(&tail, f, true, None).unwrap(), exif);
    // No EOI.
    assert_eq!(
        content(&sealed[..sealed.len() - 1], f, true, None),
        Err(UnitError::NoEndOfImage)
    );
}

// ---- Sealed streams still decode ---------------------------------------

fn have_ffmpeg() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The MD5 of every decoded picture, FFmpeg's `framemd5`, decoded with
/// `decoder` (FFmpeg's default when `None`), after checking that the
/// decoder printed nothing at the error level but the `tolerated` lines.
fn decoded_pictures(
    path: &std::path::Path,
    decoder: Option<&str>,
    tolerated: &[&str],
) -> Vec<String> {
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg.args(["-nostdin", "-v", "error"]);
    if let Some(decoder) = decoder {
        ffmpeg.args(["-c:v", decoder]);
    }
    let out = ffmpeg
        .arg("-i")
        .arg(path)
        .args(["-f", "framemd5", "-"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !tolerated.iter().any(|t| l.contains(t)))
        .collect();
    assert!(
        out.status.success() && complaints.is_empty(),
        "{} ({decoder:?}): {stderr}",
        path.display()
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect()
}

#[test]
fn sealed_streams_decode_to_the_same_pictures_in_ffmpeg() {
    if !have_ffmpeg() {
        eprintln!("skipped: ffmpeg is not installed (./build.sh setup installs it)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("frameseal-inband-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<(String, Vec<u8>, Vec<u8>)> = Vec::new();
    for (file, codec) in [
        ("h264-bframes.h264", UnitCodec::H264),
        ("h265.h265", UnitCodec::H265),
    ] {
        let stream = fixture(file);
        let f = format(codec, Layout::AnnexB);
        let sealed: Vec<u8> = access_units(&stream, Nal::of(codec))
            .iter()
            .enumerate()
            .flat_map(|(i, u)| inband::insert_seal(u, f, &seal_for(codec, i as u64)).unwrap())
            .collect();
        files.push((file.into(), stream, sealed));
    }
    let ivf = fixture("av1.ivf");
    let f = format(UnitCodec::Av1, Layout::Obu);
    let frames: Vec<Vec<u8>> = ivf_frames(&ivf)
        .iter()
        .enumerate()
        .map(|(i, u)| inband::insert_seal(u, f, &seal_for(UnitCodec::Av1, i as u64)).unwrap())
        .collect();
    files.push(("av1.ivf".into(), ivf.clone(), ivf_with(&ivf, &frames)));
    for file in JPEGS {
        let jpeg = fixture(file);
        let sealed = inband::insert_seal(
            &jpeg,
            format(UnitCodec::Jpeg, Layout::Jpeg),
            &seal_for(UnitCodec::Jpeg, 0),
        )
        .unwrap();
        files.push((file.into(), jpeg, sealed));
    }
    for (name, original, sealed) in files {
        let a = dir.join(format!("original-{name}"));
        let b = dir.join(format!("sealed-{name}"));
        std::fs::write(&a, &original).unwrap();
        std::fs::write(&b, &sealed).unwrap();
        // AV1 with both decoders FFmpeg 5.1 has. dav1d logs, at the error
        // level, every metadata OBU of a type it does not know (31, the
        // seal's), and decodes on; libaom says nothing.
        let decoders: &[(Option<&str>, &[&str])] = if name.ends_with(".ivf") {
            &[
                (Some("libaom-av1"), &[]),
                (
                    Some("libdav1d"),
                    &["Unknown Metadata OBU type 31", "Last message repeated"],
                ),
            ]
        } else {
            &[(None, &[])]
        };
        for &(decoder, tolerated) in decoders {
            let before = decoded_pictures(&a, decoder, &[]);
            let after = decoded_pictures(&b, decoder, tolerated);
            assert!(!before.is_empty(), "{name}");
            assert_eq!(
                before, after,
                "{name}: the sealed stream decodes to other pictures with {decoder:?}"
            );
            eprintln!(
                "{name}: {} pictures decode the same sealed and unsealed ({})",
                before.len(),
                decoder.unwrap_or("default decoder")
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
