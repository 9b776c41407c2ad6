//! In-band vectors (`tests/vectors/inband.json`, and the worked vectors of
//! docs/FORMAT.md §17): for H.264 (Annex B and avcc), H.265, AV1 and JPEG,
//! one real unit from `tests/fixtures/inband/` sealed with the fixed camera
//! key, and the verdict a fresh verifier must give it and a few damaged
//! copies of it.
//!
//! Each carriage takes the smallest delta unit of its fixture of at least
//! [`MIN_UNIT`] bytes (a real picture, not a 5-byte "show the frame again"
//! header), or, for JPEG, the smallest fixture. Expected verdicts are
//! written here from how each unit was made, never read back from the
//! verifier.

use frameseal::inband::elementary::{Ivf, annexb_access_units};
use frameseal::inband::{self, Layout, UnitCodec, UnitFormat};
use frameseal::{Codec, FrameSpec, KeyId, Signer};

use crate::cases::{CAMERA_SECRET, FOREIGN_SECRET, NOW, STREAM};

/// The seal's seq in every vector.
pub const SEQ: u64 = 7;
/// The seal's capture time: 40 ms before the clock (`NOW`).
pub const TIMESTAMP_US: u64 = NOW - 40_000;
/// The smallest unit a carriage takes (bytes).
const MIN_UNIT: usize = 64;

/// One codec in one layout, with the unit its vectors start from.
pub struct Carriage {
    /// `h264-annexb`, ...: the prefix of its cases' names.
    pub name: &'static str,
    pub format: UnitFormat,
    /// Where the unit comes from.
    pub source: String,
    /// The unit as the encoder (and, for avcc, a muxer) made it: no seal.
    pub unit: Vec<u8>,
    /// The seal's KEYFRAME flag, from the unit (as `frameseal seal` sets it).
    pub keyframe: bool,
}

/// A carriage's unit sealed by the camera, and what went into the seal.
pub struct Sealed {
    pub carriage: Carriage,
    /// The unit with its seal.
    pub sealed: Vec<u8>,
    /// The 148-byte seal inside `sealed`.
    pub seal: [u8; 148],
    /// The canonical content (SPEC §6.3), derived from the unsealed unit.
    pub content: Vec<u8>,
    /// BLAKE3 of `content`, computed here with the `blake3` crate.
    pub content_blake3: [u8; 32],
}

/// What a fresh verifier must answer for a case.
pub enum UnitExpect {
    /// Accepted: its fields are the seal's (payload: the unit as given).
    Accepted { keyframe: bool, codec: Codec },
    /// Dropped for this reason.
    Drop(&'static str),
}

/// One unit and its verdict.
pub struct UnitCase {
    pub name: String,
    pub description: String,
    pub format: UnitFormat,
    pub unit: Vec<u8>,
    pub expect: UnitExpect,
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/inband/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn format_of(codec: UnitCodec, layout: Layout) -> UnitFormat {
    UnitFormat::new(codec, layout).expect("a layout of the codec")
}

/// The codec byte's `Codec`.
pub fn codec_of(codec: UnitCodec) -> Codec {
    Codec::from_byte(codec.codec_byte()).expect("a v1 codec byte")
}

/// The smallest unit of `units` that is no keyframe and at least
/// [`MIN_UNIT`] bytes long (the first of equal ones), with its index.
fn smallest_delta(units: &[&[u8]], format: UnitFormat) -> (usize, Vec<u8>) {
    units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.len() >= MIN_UNIT)
        .filter(|(_, u)| !inband::is_keyframe(u, format).expect("a fixture unit splits"))
        .min_by_key(|(i, u)| (u.len(), *i))
        .map(|(i, u)| (i, u.to_vec()))
        .expect("a delta unit")
}

/// The NAL units of an Annex B unit, without start codes and the zero
/// bytes before a start code, laid out again with 4-byte big-endian
/// lengths, as an MP4 muxer writes a sample.
fn annexb_to_avcc(unit: &[u8]) -> Vec<u8> {
    let starts: Vec<usize> = (0..unit.len().saturating_sub(2))
        .filter(|&i| unit[i..i + 3] == [0, 0, 1])
        .map(|i| i + 3)
        .collect();
    let mut out = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let mut end = starts.get(k + 1).map_or(unit.len(), |next| next - 3);
        while end > start && unit[end - 1] == 0 {
            end -= 1;
        }
        let nal = &unit[start..end];
        out.extend_from_slice(&u32::try_from(nal.len()).expect("short").to_be_bytes());
        out.extend_from_slice(nal);
    }
    out
}

/// The five carriages, each with its unit.
pub fn carriages() -> Vec<Carriage> {
    let mut out = Vec::new();
    for (codec, file) in [
        (UnitCodec::H264, "h264-bframes.h264"),
        (UnitCodec::H265, "h265.h265"),
    ] {
        let stream = fixture(file);
        let annexb = format_of(codec, Layout::AnnexB);
        let units = annexb_access_units(&stream, codec).expect("the fixture splits");
        let (i, unit) = smallest_delta(&units, annexb);
        let source = format!(
            "tests/fixtures/inband/{file}, access unit {i} in decode order (the smallest delta unit of at least {MIN_UNIT} bytes)"
        );
        if codec == UnitCodec::H264 {
            out.push(Carriage {
                name: "h264-annexb",
                format: annexb,
                source: source.clone(),
                unit: unit.clone(),
                keyframe: false,
            });
            out.push(Carriage {
                name: "h264-avcc",
                format: format_of(codec, Layout::Avcc { nal_length_size: 4 }),
                source: format!(
                    "{source}, laid out with 4-byte NAL unit lengths as in an MP4 sample"
                ),
                unit: annexb_to_avcc(&unit),
                keyframe: false,
            });
        } else {
            out.push(Carriage {
                name: "h265-annexb",
                format: annexb,
                source,
                unit,
                keyframe: false,
            });
        }
    }
    let file = fixture("av1.ivf");
    let ivf = Ivf::parse(&file).expect("the fixture is IVF");
    let units: Vec<&[u8]> = ivf.frames.iter().map(|(_, d)| *d).collect();
    let obu = format_of(UnitCodec::Av1, Layout::Obu);
    let (i, unit) = smallest_delta(&units, obu);
    out.push(Carriage {
        name: "av1-obu",
        format: obu,
        source: format!(
            "tests/fixtures/inband/av1.ivf, temporal unit {i} (the smallest delta unit of at least {MIN_UNIT} bytes)"
        ),
        unit,
        keyframe: false,
    });
    out.push(Carriage {
        name: "jpeg",
        format: format_of(UnitCodec::Jpeg, Layout::Jpeg),
        source: "tests/fixtures/inband/progressive-restart.jpg (the smallest JPEG fixture)".into(),
        unit: fixture("progressive-restart.jpg"),
        keyframe: true,
    });
    out
}

/// The seal spec of every vector (the codec byte comes from the unit).
pub fn spec(keyframe: bool) -> FrameSpec {
    FrameSpec {
        seq: Some(SEQ),
        keyframe,
        ..FrameSpec::at(TIMESTAMP_US)
    }
}

fn camera(secret: &[u8; 32]) -> Signer {
    Signer::from_secret(secret, STREAM)
}

/// The canonical content of `unit`.
fn content_of(unit: &[u8], format: UnitFormat, keyframe: bool) -> Vec<u8> {
    let mut content = Vec::new();
    inband::content(unit, format, keyframe, None, &mut |piece| {
        content.extend_from_slice(piece)
    })
    .expect("the unit's content");
    content
}

/// `carriage`'s unit sealed by the camera.
pub fn sealed(carriage: Carriage) -> Sealed {
    let sealed = camera(&CAMERA_SECRET)
        .seal_unit(
            &carriage.unit,
            carriage.format,
            None,
            &spec(carriage.keyframe),
        )
        .expect("sealable");
    let seal = *inband::find_seal(&sealed, carriage.format)
        .expect("splits")
        .expect("one seal")
        .seal()
        .expect("148 bytes");
    let content = content_of(&carriage.unit, carriage.format, carriage.keyframe);
    let content_blake3 = *blake3::hash(&content).as_bytes();
    Sealed {
        carriage,
        sealed,
        seal,
        content,
        content_blake3,
    }
}

/// Where the seal's container was inserted: `sealed` is `unit[..at]`, then
/// `len` bytes, then `unit[at..]`. Of the places that give the same bytes
/// (a container starting `00 00 00 01` before a NAL unit that starts so
/// too can be cut at either start code), the first: the container with
/// its own start code or length.
pub fn insertion(unit: &[u8], sealed: &[u8]) -> (usize, usize) {
    let mut at = unit.iter().zip(sealed).take_while(|(a, b)| a == b).count();
    let len = sealed.len() - unit.len();
    assert_eq!(sealed[at + len..], unit[at..], "one contiguous insertion");
    while at > 0 && unit[at - 1] == sealed[at + len - 1] {
        at -= 1;
    }
    (at, len)
}

/// The offset of the byte the `picture-byte-changed` case flips (XOR 1):
/// the last byte of the picture data that stays clear of every structure
/// a parser reads, so the unit still splits into the same units and only
/// the content changes. H.264 / H.265: a byte of at least 4 whose flip is
/// too (no start code or emulation-prevention pattern appears or goes);
/// AV1: the last byte (tile data of the last OBU, no size field follows);
/// JPEG: before EOI, a byte in 01..FD not after FF (no marker, no
/// stuffing).
pub fn picture_byte(unit: &[u8], codec: UnitCodec) -> usize {
    let ok = |i: usize| -> bool {
        let b = unit[i];
        match codec {
            UnitCodec::H264 | UnitCodec::H265 => b >= 4 && (b ^ 1) >= 4,
            UnitCodec::Av1 => true,
            UnitCodec::Jpeg => i + 2 < unit.len() && (1..=0xfd).contains(&b) && unit[i - 1] != 0xff,
        }
    };
    (1..unit.len())
        .rev()
        .find(|&i| ok(i))
        .expect("a picture byte")
}

/// The codec a `seal-codec-mismatch` case's seal names instead.
pub fn other_codec(codec: UnitCodec) -> Codec {
    match codec {
        UnitCodec::H264 => Codec::H265,
        _ => Codec::H264,
    }
}

/// Every case of the file: six per carriage.
pub fn unit_cases(all: &[Sealed]) -> Vec<UnitCase> {
    let mut out = Vec::new();
    for s in all {
        let c = &s.carriage;
        let codec = c.format.codec();
        let mut add = |kind: &str, description: String, unit: Vec<u8>, expect| {
            out.push(UnitCase {
                name: format!("{}-{kind}", c.name),
                description,
                format: c.format,
                unit,
                expect,
            })
        };
        add(
            "accepted",
            format!("The {} vector's sealed unit: accepted.", c.name),
            s.sealed.clone(),
            UnitExpect::Accepted {
                keyframe: c.keyframe,
                codec: codec_of(codec),
            },
        );
        add(
            "seal-stripped",
            "The unit without its seal (as the encoder made it): unsigned.".into(),
            c.unit.clone(),
            UnitExpect::Drop("unsigned"),
        );
        let at = picture_byte(&s.sealed, codec);
        let mut changed = s.sealed.clone();
        changed[at] ^= 1;
        add(
            "picture-byte-changed",
            format!(
                "The sealed unit with byte {at} (picture data) XOR 1: the content no longer has the seal's hash: bad-signature."
            ),
            changed,
            UnitExpect::Drop("bad-signature"),
        );
        let (at, len) = insertion(&c.unit, &s.sealed);
        let two = [&s.sealed[..at + len], &s.sealed[at..]].concat();
        add(
            "two-seals",
            "The sealed unit with its seal's container twice: malformed.".into(),
            two,
            UnitExpect::Drop("malformed"),
        );
        let other = other_codec(codec);
        let hash = frameseal::frame::content_hash(&s.content);
        let mismatched = camera(&CAMERA_SECRET)
            .seal(
                s.content.len(),
                &hash,
                &FrameSpec {
                    codec: other,
                    ..spec(c.keyframe)
                },
            )
            .expect("a seal");
        let unit = inband::insert_seal(&c.unit, c.format, &mismatched).expect("insertable");
        add(
            "seal-codec-mismatch",
            format!(
                "The unit sealed by the camera over its own content, but with codec {} in the seal: malformed.",
                other.name()
            ),
            unit,
            UnitExpect::Drop("malformed"),
        );
        let foreign = camera(&FOREIGN_SECRET)
            .seal_unit(&c.unit, c.format, None, &spec(c.keyframe))
            .expect("sealable");
        add(
            "foreign-key",
            "The unit sealed by keys.foreign: foreign-key.".into(),
            foreign,
            UnitExpect::Drop("foreign-key"),
        );
    }
    out
}

/// The key id of a secret's public key.
pub fn key_id_of(secret: &[u8; 32]) -> [u8; 8] {
    KeyId::of(camera(secret).public_key()).0
}
