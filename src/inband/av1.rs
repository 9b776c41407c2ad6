//! AV1 temporal units (SPEC §6.3) in the low-overhead format (AV1 §5.2):
//! every OBU has its size field, except that the last one may run to the
//! end of the unit, and the `av1C` configuration record.

use alloc::vec::Vec;
use core::cmp::Ordering;

use super::{
    FRAMESEAL_UUID, Parts, SEAL_LEN, SealBody, Sink, Splitter, UnitError, parameter_sets,
    reserve_one, spliced, vec_with_capacity, without_parts,
};

/// The OBU types (AV1 §6.2.2) a unit's reader tells apart; every other
/// type (padding, tile lists, reserved) is carried as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ObuType {
    SequenceHeader,
    TemporalDelimiter,
    FrameHeader,
    TileGroup,
    Metadata,
    Frame,
    Other(u8),
}

impl ObuType {
    /// The type an OBU header's first byte names (bits 6..3).
    pub(super) fn of(header: u8) -> ObuType {
        match (header >> 3) & 0x0f {
            1 => ObuType::SequenceHeader,
            2 => ObuType::TemporalDelimiter,
            3 => ObuType::FrameHeader,
            4 => ObuType::TileGroup,
            5 => ObuType::Metadata,
            6 => ObuType::Frame,
            other => ObuType::Other(other),
        }
    }

    /// The type's number, as an OBU header holds it.
    pub(super) fn code(self) -> u8 {
        match self {
            ObuType::SequenceHeader => 1,
            ObuType::TemporalDelimiter => 2,
            ObuType::FrameHeader => 3,
            ObuType::TileGroup => 4,
            ObuType::Metadata => 5,
            ObuType::Frame => 6,
            ObuType::Other(code) => code,
        }
    }

    /// Whether the content covers OBUs of this type in V (SPEC §6.3): the
    /// picture data.
    fn is_picture_data(self) -> bool {
        matches!(
            self,
            ObuType::FrameHeader | ObuType::TileGroup | ObuType::Frame
        )
    }
}
/// `metadata_type` "unregistered user private" (AV1 §6.7.1) that carries a
/// seal.
const METADATA_TYPE_SEAL: u64 = 31;

/// One OBU of a unit that split.
#[derive(Clone, Copy, Debug)]
struct Obu<'a> {
    /// Offset of its header.
    at: usize,
    obu_type: ObuType,
    /// Its header as stored: one byte, or two with the extension.
    header: &'a [u8],
    /// Its payload (the size field not included).
    payload: &'a [u8],
}

impl Obu<'_> {
    /// The header as the content holds it: `obu_has_size_field` cleared,
    /// the extension byte kept (SPEC §6.3).
    fn header_for_content(&self) -> [u8; 2] {
        let first = self.header.first().map_or(0, |h| h & !0x02);
        [first, self.header.get(1).copied().unwrap_or(0)]
    }

    /// What the content holds for this OBU, after its length: the header
    /// with the size flag cleared, then the payload.
    fn content_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let header = self.header_for_content();
        header
            .into_iter()
            .take(self.header.len())
            .chain(self.payload.iter().copied())
    }

    fn cmp_for_p(&self, other: &Obu<'_>) -> Ordering {
        self.content_bytes().cmp(other.content_bytes())
    }
}

/// An unsigned leb128 (AV1 §4.10.5): at most 8 bytes, value at most
/// 2^32 - 1. Returns the value and the bytes it took.
pub(super) fn leb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..8 {
        let b = *bytes.get(i)?;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (value <= u64::from(u32::MAX)).then_some((value, i + 1));
        }
    }
    None
}

/// Appends `value` as an unsigned leb128 of as few bytes as it takes.
pub fn push_leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// The OBUs of a unit (or of `av1C`'s configOBUs), in order, each checked;
/// stops at the first error.
fn obus(bytes: &[u8]) -> Parts<ObuSplitter<'_>> {
    Parts::new(ObuSplitter { bytes, pos: 0 })
}

struct ObuSplitter<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Splitter for ObuSplitter<'a> {
    type Part = Obu<'a>;

    fn step(&mut self) -> Result<Option<Obu<'a>>, UnitError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let Some(&first) = rest.first() else {
            return Ok(None);
        };
        let at = self.pos;
        let bad = UnitError::BadObu { at };
        if first & 0x80 != 0 {
            return Err(bad);
        }
        let header_len = if first & 0x04 != 0 { 2 } else { 1 };
        let header = rest.get(..header_len).ok_or(bad)?;
        let after_header = rest.get(header_len..).unwrap_or_default();
        let (payload, taken) = if first & 0x02 != 0 {
            let (size, size_len) = leb128(after_header).ok_or(bad)?;
            let size = usize::try_from(size).map_err(|_| bad)?;
            let payload = after_header
                .get(size_len..)
                .and_then(|p| p.get(..size))
                .ok_or(bad)?;
            (payload, header_len + size_len + size)
        } else {
            // No size field: the OBU runs to the end of the unit.
            (after_header, rest.len())
        };
        self.pos += taken;
        Ok(Some(Obu {
            at,
            obu_type: ObuType::of(first),
            header,
            payload,
        }))
    }
}

/// Reads a metadata OBU, noting a frameseal seal (type 31, the UUID, the
/// body, trailing bits `0x80` and any zero bytes) in `found`.
fn read_metadata(obu: &Obu<'_>, found: &mut Option<SealBody>) -> Result<(), UnitError> {
    let bad = UnitError::BadObu { at: obu.at };
    let (metadata_type, type_len) = leb128(obu.payload).ok_or(bad)?;
    if metadata_type != METADATA_TYPE_SEAL {
        return Ok(());
    }
    let data = obu.payload.get(type_len..).unwrap_or_default();
    let Some(rest) = data.strip_prefix(&FRAMESEAL_UUID[..]) else {
        return Ok(());
    };
    let end = rest.iter().rposition(|&b| b != 0).ok_or(bad)?;
    if rest.get(end) != Some(&0x80) {
        return Err(bad);
    }
    if found.is_some() {
        return Err(UnitError::TwoSeals);
    }
    *found = Some(SealBody::from_slice(rest.get(..end).unwrap_or_default()));
    Ok(())
}

/// What a pass over a unit found.
struct Survey<'a> {
    seal: Option<SealBody>,
    /// The first frame or frame-header OBU, and whether a sequence header
    /// before it said `reduced_still_picture_header`.
    first_picture: Option<(Obu<'a>, bool)>,
}

fn survey(unit: &[u8]) -> Result<Survey<'_>, UnitError> {
    let mut s = Survey {
        seal: None,
        first_picture: None,
    };
    let mut reduced_still_picture = false;
    for obu in obus(unit) {
        let obu = obu?;
        match obu.obu_type {
            ObuType::Metadata => read_metadata(&obu, &mut s.seal)?,
            ObuType::SequenceHeader => {
                // seq_profile (3 bits), still_picture,
                // reduced_still_picture_header. (An empty sequence header is
                // covered as it is by the content, and read as not reduced.)
                reduced_still_picture = obu.payload.first().is_some_and(|b| b & 0x08 != 0);
            }
            ObuType::FrameHeader | ObuType::Frame => {
                s.first_picture.get_or_insert((obu, reduced_still_picture));
            }
            _ => {}
        }
    }
    Ok(s)
}

pub(super) fn find_seal(unit: &[u8]) -> Result<Option<SealBody>, UnitError> {
    Ok(survey(unit)?.seal)
}

pub(super) fn is_keyframe(unit: &[u8]) -> Result<bool, UnitError> {
    let Some((frame, reduced_still_picture)) = survey(unit)?.first_picture else {
        return Ok(false);
    };
    if reduced_still_picture {
        // AV1 §5.9.2: a reduced still-picture header means a shown key frame.
        return Ok(true);
    }
    // uncompressed_header: show_existing_frame (1 bit), then frame_type
    // (2 bits, KEY_FRAME = 0).
    let first = frame
        .payload
        .first()
        .ok_or(UnitError::BadObu { at: frame.at })?;
    Ok(first & 0x80 == 0 && (first >> 5) & 0x03 == 0)
}

/// Whether `unit` holds a sequence header OBU (OBU headers and sizes are
/// read, payloads are not).
pub(super) fn carries_sequence_headers(unit: &[u8]) -> Result<bool, UnitError> {
    for obu in obus(unit) {
        if obu?.obu_type == ObuType::SequenceHeader {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `unit` without its sequence header OBUs, for a delta unit's decoder.
pub(super) fn without_sequence_headers(unit: &[u8]) -> Result<Vec<u8>, UnitError> {
    let mut starts = Vec::new();
    for obu in obus(unit) {
        let obu = obu?;
        reserve_one(&mut starts)?;
        starts.push((obu.at, obu.obu_type == ObuType::SequenceHeader));
    }
    without_parts(unit, &starts)
}

/// Whether keyframe `unit` vouches for `av1C`'s sequence headers: it
/// carries none, or every one of the record's is one of its own (SPEC §7).
pub(super) fn vouches_for(unit: &[u8], config: &[u8]) -> Result<bool, UnitError> {
    let mut own = Vec::new();
    for obu in obus(unit) {
        let obu = obu?;
        if obu.obu_type == ObuType::SequenceHeader {
            reserve_one(&mut own)?;
            own.push(obu);
        }
    }
    if own.is_empty() {
        return Ok(true);
    }
    let recorded = config_sequence_headers(config)?;
    Ok(recorded
        .iter()
        .all(|r| own.iter().any(|o| o.cmp_for_p(r) == Ordering::Equal)))
}

fn put_obu(out: &mut Sink<'_>, obu: &Obu<'_>) -> Result<(), UnitError> {
    out.put_len(obu.header.len().saturating_add(obu.payload.len()))?;
    let header = obu.header_for_content();
    out.put(header.get(..obu.header.len()).unwrap_or_default())?;
    out.put(obu.payload)
}

pub(super) fn content(
    unit: &[u8],
    keyframe: bool,
    config: Option<&[u8]>,
    out: &mut Sink<'_>,
) -> Result<(), UnitError> {
    let mut seal = None;
    if !keyframe {
        for obu in obus(unit) {
            let obu = obu?;
            if obu.obu_type == ObuType::Metadata {
                read_metadata(&obu, &mut seal)?;
            } else if obu.obu_type.is_picture_data() {
                put_obu(out, &obu)?;
            }
        }
        return Ok(());
    }
    let mut headers = Vec::new();
    for obu in obus(unit) {
        let obu = obu?;
        if obu.obu_type == ObuType::Metadata {
            read_metadata(&obu, &mut seal)?;
        } else if obu.obu_type == ObuType::SequenceHeader {
            reserve_one(&mut headers)?;
            headers.push(obu);
        }
    }
    let headers = parameter_sets(
        headers,
        || config_sequence_headers(config.ok_or(UnitError::NoParameterSets)?),
        Obu::cmp_for_p,
    )?;
    for header in &headers {
        put_obu(out, header)?;
    }
    for obu in obus(unit) {
        let obu = obu?;
        if obu.obu_type.is_picture_data() {
            put_obu(out, &obu)?;
        }
    }
    Ok(())
}

/// Bytes of `av1C` before its configOBUs: marker and version (`0x81`),
/// profile, level, tier, colour, presentation delay.
const AV1C_FIXED_LEN: usize = 4;

/// The sequence header OBUs of an `av1C` payload (AV1-ISOBMFF §2.3.3). Its
/// other configOBUs, seals among them, are not read.
fn config_sequence_headers(config: &[u8]) -> Result<Vec<Obu<'_>>, UnitError> {
    if config.first() != Some(&0x81) {
        return Err(UnitError::BadConfig { at: 0 });
    }
    let config_obus = config
        .get(AV1C_FIXED_LEN..)
        .ok_or(UnitError::BadConfig { at: config.len() })?;
    let mut headers = Vec::new();
    for obu in obus(config_obus) {
        let obu = obu.map_err(|e| match e {
            UnitError::BadObu { at } => UnitError::BadConfig {
                at: at + AV1C_FIXED_LEN,
            },
            other => other,
        })?;
        if obu.obu_type == ObuType::SequenceHeader {
            reserve_one(&mut headers)?;
            headers.push(obu);
        }
    }
    Ok(headers)
}

/// The seal's metadata OBU: header (type 5, with a size field), size 166
/// as leb128, metadata_type 31, UUID, seal, trailing bits.
fn seal_obu(seal: &[u8; SEAL_LEN]) -> Result<Vec<u8>, UnitError> {
    const PAYLOAD_LEN: usize = 1 + 16 + SEAL_LEN + 1;
    let mut out = vec_with_capacity(3 + PAYLOAD_LEN)?;
    out.push((ObuType::Metadata.code() << 3) | 0x02);
    // 166: two bytes.
    push_leb128(&mut out, PAYLOAD_LEN);
    out.push(METADATA_TYPE_SEAL as u8);
    out.extend_from_slice(&FRAMESEAL_UUID);
    out.extend_from_slice(seal);
    out.push(0x80);
    Ok(out)
}

pub(super) fn insert_seal(unit: &[u8], seal: &[u8; SEAL_LEN]) -> Result<Vec<u8>, UnitError> {
    let s = survey(unit)?;
    if s.seal.is_some() {
        return Err(UnitError::AlreadySealed);
    }
    let (frame, _) = s.first_picture.ok_or(UnitError::NoPicture)?;
    spliced(unit, frame.at, &[&seal_obu(seal)?])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inband::testing::{self, seal};
    use crate::inband::{self, Layout, UnitCodec, UnitFormat};
    use alloc::vec;

    fn av1() -> UnitFormat {
        UnitFormat::new(UnitCodec::Av1, Layout::Obu).unwrap()
    }

    /// An OBU with a size field (and an extension byte if `ext`).
    fn obu(obu_type: ObuType, ext: Option<u8>, payload: &[u8]) -> Vec<u8> {
        testing::obu(obu_type.code(), ext, true, payload)
    }

    const TD: &[u8] = &[0x12, 0x00];
    const SEQ: &[u8] = &[0x00, 0x00, 0x00, 0x0a, 0x0b, 0x0c];
    const SEQ_B: &[u8] = &[0x00, 0x00, 0x00, 0x0a, 0x0b, 0x0d];
    // show_existing_frame 0, frame_type KEY_FRAME (0), show_frame 1.
    const KEY: &[u8] = &[0x10, 0x22, 0x33];
    // frame_type INTER_FRAME (1).
    const INTER: &[u8] = &[0x30, 0x22, 0x33];

    fn content_of(
        unit: &[u8],
        keyframe: bool,
        config: Option<&[u8]>,
    ) -> Result<Vec<u8>, UnitError> {
        testing::content_of(unit, av1(), keyframe, config)
    }

    fn seal_metadata(body: &[u8], trailing: &[u8]) -> Vec<u8> {
        let mut p = vec![31];
        p.extend_from_slice(&FRAMESEAL_UUID);
        p.extend_from_slice(body);
        p.extend_from_slice(trailing);
        obu(ObuType::Metadata, None, &p)
    }

    #[test]
    fn leb128_is_bounded() {
        assert_eq!(leb128(&[0x00]), Some((0, 1)));
        assert_eq!(leb128(&[0xa6, 0x01]), Some((166, 2)));
        // Padded encodings are allowed (AV1 uses them to reserve room).
        assert_eq!(leb128(&[0x85, 0x80, 0x80, 0x00]), Some((5, 4)));
        assert_eq!(
            leb128(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
            Some((u32::MAX as u64, 5))
        );
        assert_eq!(leb128(&[0x80, 0x80, 0x80, 0x80, 0x10]), None);
        assert_eq!(leb128(&[0x80; 8]), None);
        assert_eq!(
            leb128(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
            Some((0, 8))
        );
        assert_eq!(leb128(&[0x80]), None);
        assert_eq!(leb128(&[]), None);
    }

    #[test]
    fn content_is_p_then_v_without_size_fields() {
        let frame = obu(ObuType::Frame, Some(0x28), KEY);
        let unit = [
            TD,
            &obu(ObuType::SequenceHeader, None, SEQ),
            &obu(ObuType::Other(8), None, &[0; 4]),
            &frame,
        ]
        .concat();
        let mut expected = Vec::new();
        expected.extend_from_slice(&(1 + SEQ.len() as u32).to_be_bytes());
        expected.push(0x08);
        expected.extend_from_slice(SEQ);
        expected.extend_from_slice(&(2 + KEY.len() as u32).to_be_bytes());
        expected.extend_from_slice(&[0x34, 0x28]);
        expected.extend_from_slice(KEY);
        assert_eq!(content_of(&unit, true, None).unwrap(), expected);
        // Without KEYFRAME, the sequence header is not covered.
        assert_eq!(
            content_of(&unit, false, None).unwrap(),
            expected[4 + 1 + SEQ.len()..]
        );
        // The last OBU may go without a size field.
        let last = testing::obu(ObuType::Frame.code(), Some(0x28), false, KEY);
        let unit2 = [TD, &obu(ObuType::SequenceHeader, None, SEQ), &last].concat();
        assert_eq!(content_of(&unit2, true, None).unwrap(), expected);
    }

    #[test]
    fn frame_headers_tile_groups_and_frames_are_covered() {
        for t in 0..16u8 {
            let unit = obu(ObuType::of(t << 3), None, &[0x10, 0x01]);
            let covered = !content_of(&unit, false, None).unwrap().is_empty();
            assert_eq!(covered, [3, 4, 6].contains(&t), "type {t}");
        }
    }

    #[test]
    fn sequence_headers_are_sorted_and_deduplicated() {
        let seq = obu(ObuType::SequenceHeader, None, SEQ);
        let seq_b = obu(ObuType::SequenceHeader, None, SEQ_B);
        let frame = obu(ObuType::Frame, None, KEY);
        let one = content_of(&[TD, &seq, &frame].concat(), true, None).unwrap();
        assert_eq!(
            content_of(&[TD, &seq, &seq, &frame, &seq].concat(), true, None).unwrap(),
            one
        );
        let a = content_of(&[&seq_b[..], &seq, &frame].concat(), true, None).unwrap();
        let b = content_of(&[&seq[..], &seq_b, &frame].concat(), true, None).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, one);
    }

    #[test]
    fn keyframes_without_a_sequence_header_take_av1c() {
        let frame = obu(ObuType::Frame, None, KEY);
        let seq = obu(ObuType::SequenceHeader, None, SEQ);
        let expected = content_of(&[TD, &seq, &frame].concat(), true, None).unwrap();
        let unit = [TD, &frame].concat();
        assert_eq!(
            content_of(&unit, true, None),
            Err(UnitError::NoParameterSets)
        );
        // av1C with the sequence header and a copied seal (ignored).
        let mut av1c = vec![0x81, 0x00, 0x0c, 0x00];
        av1c.extend_from_slice(&seq);
        av1c.extend_from_slice(&seal_metadata(&seal(1), &[0x80]));
        assert_eq!(content_of(&unit, true, Some(&av1c)).unwrap(), expected);
        assert_eq!(
            content_of(&unit, true, Some(&av1c[..4])),
            Err(UnitError::NoParameterSets)
        );
        for bad in [
            &[0x01, 0, 0, 0][..],
            &[0x81, 0, 0],
            &[0x81, 0, 0, 0, 0x0a, 0x05, 1],
        ] {
            assert!(
                matches!(
                    content_of(&unit, true, Some(bad)),
                    Err(UnitError::BadConfig { .. })
                ),
                "{bad:02x?}"
            );
        }
    }

    #[test]
    fn obus_must_parse() {
        let frame = obu(ObuType::Frame, None, KEY);
        for (unit, at) in [
            ([&[0x92, 0x00][..], &frame].concat(), 0), // forbidden bit
            ([&frame[..], &[0x32]].concat(), frame.len()), // size field missing
            ([&frame[..], &[0x36]].concat(), frame.len()), // extension byte missing
            ([&frame[..], &[0x32, 0x05, 1]].concat(), frame.len()), // size past the end
            (
                [
                    &frame[..],
                    &[0x32, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0],
                ]
                .concat(),
                frame.len(),
            ),
            (obu(ObuType::Metadata, None, &[]), 0), // metadata_type missing
        ] {
            assert_eq!(
                inband::find_seal(&unit, av1()),
                Err(UnitError::BadObu { at }),
                "{unit:02x?}"
            );
        }
    }

    #[test]
    fn seals_are_metadata_type_31_with_the_uuid() {
        let body = seal(0);
        let frame = obu(ObuType::Frame, None, INTER);
        for unit in [
            [TD, &seal_metadata(&body, &[0x80]), &frame].concat(),
            [TD, &frame, &seal_metadata(&body, &[0x80, 0, 0])].concat(),
            [
                TD,
                &obu(ObuType::Metadata, None, &[4, 1, 2]),
                &seal_metadata(&body, &[0x80]),
                &frame,
            ]
            .concat(),
        ] {
            let found = inband::find_seal(&unit, av1()).unwrap().unwrap();
            assert_eq!(found.seal(), Some(&body));
        }
        // Other metadata types or UUIDs are not seals.
        let mut other = seal_metadata(&body, &[0x80]);
        other[3] = 30;
        assert_eq!(
            inband::find_seal(&[&other[..], &frame].concat(), av1()),
            Ok(None)
        );
        let mut other = seal_metadata(&body, &[0x80]);
        other[5] ^= 1;
        assert_eq!(
            inband::find_seal(&[&other[..], &frame].concat(), av1()),
            Ok(None)
        );
        // A seal without its trailing byte.
        let unit = [&seal_metadata(&body[..147], &[0x81])[..], &frame].concat();
        assert_eq!(
            inband::find_seal(&unit, av1()),
            Err(UnitError::BadObu { at: 0 })
        );
        let unit = [&seal_metadata(&[], &[0, 0])[..], &frame].concat();
        assert_eq!(
            inband::find_seal(&unit, av1()),
            Err(UnitError::BadObu { at: 0 })
        );
        // Two.
        let m = seal_metadata(&body, &[0x80]);
        assert_eq!(
            inband::find_seal(&[&m[..], &m, &frame].concat(), av1()),
            Err(UnitError::TwoSeals)
        );
    }

    #[test]
    fn insertion_goes_after_the_sequence_header_before_the_first_frame() {
        let seq = obu(ObuType::SequenceHeader, None, SEQ);
        let frame = obu(ObuType::FrameHeader, None, KEY);
        let tiles = obu(ObuType::TileGroup, None, &[1, 2, 3]);
        let unit = [TD, &seq, &frame, &tiles].concat();
        let body = seal(7);
        let sealed = inband::insert_seal(&unit, av1(), &body).unwrap();
        let m = seal_metadata(&body, &[0x80]);
        assert_eq!(sealed, [TD, &seq, &m, &frame, &tiles].concat());
        assert_eq!(m.len(), 169);
        assert_eq!(&m[..4], &[0x2a, 0xa6, 0x01, 0x1f]);
        assert_eq!(
            inband::find_seal(&sealed, av1()).unwrap().unwrap().seal(),
            Some(&body)
        );
        assert_eq!(
            content_of(&sealed, true, None),
            content_of(&unit, true, None)
        );
        assert_eq!(
            inband::insert_seal(&sealed, av1(), &body),
            Err(UnitError::AlreadySealed)
        );
        assert_eq!(
            inband::insert_seal(&[TD, &seq].concat(), av1(), &body),
            Err(UnitError::NoPicture)
        );
    }

    #[test]
    fn keyframes_are_shown_key_frames() {
        let seq = obu(ObuType::SequenceHeader, None, SEQ);
        assert!(
            inband::is_keyframe(&[TD, &seq, &obu(ObuType::Frame, None, KEY)].concat(), av1())
                .unwrap()
        );
        assert!(
            !inband::is_keyframe(&[TD, &obu(ObuType::Frame, None, INTER)].concat(), av1()).unwrap()
        );
        // show_existing_frame: shows an earlier frame, not a keyframe here.
        assert!(
            !inband::is_keyframe(
                &[TD, &obu(ObuType::FrameHeader, None, &[0x80])].concat(),
                av1()
            )
            .unwrap()
        );
        // A reduced still-picture header: always a key frame.
        let still = obu(ObuType::SequenceHeader, None, &[0x18, 0x00]);
        assert!(
            inband::is_keyframe(
                &[&still[..], &obu(ObuType::Frame, None, INTER)].concat(),
                av1()
            )
            .unwrap()
        );
        assert!(!inband::is_keyframe(TD, av1()).unwrap());
        // An empty sequence header is covered as it is, and is not reduced
        // (found by the fuzzer: every function must split alike).
        let empty = [
            TD,
            &obu(ObuType::SequenceHeader, None, &[]),
            &obu(ObuType::Frame, None, KEY),
        ]
        .concat();
        assert!(inband::is_keyframe(&empty, av1()).unwrap());
        assert_eq!(inband::find_seal(&empty, av1()), Ok(None));
        assert_eq!(
            inband::is_keyframe(&[TD, &obu(ObuType::Frame, None, &[])].concat(), av1()),
            Err(UnitError::BadObu { at: 2 })
        );
    }
}
