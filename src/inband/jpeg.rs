//! JPEG files (SPEC §6.3): marker segments from SOI to EOI (ITU-T T.81
//! §B), entropy-coded data after each SOS read through its stuffed `FF 00`
//! bytes and restart markers, and the APP15 segment that holds a seal.

use alloc::vec::Vec;

use super::{
    FRAMESEAL_UUID, SEAL_LEN, SealBody, Sink, UnitError, run_len, skip_words_without, spliced,
};

const SOI: u8 = 0xd8;
const EOI: u8 = 0xd9;
const SOS: u8 = 0xda;
const APP0: u8 = 0xe0;
const APP1: u8 = 0xe1;
const APP15: u8 = 0xef;
const TEM: u8 = 0x01;

/// What a pass over a JPEG found.
struct Survey {
    /// The seal and its APP15 segment: from its `FF EF` to its last byte.
    seal: Option<(SealBody, usize, usize)>,
    /// Just after EOI: where the image ends.
    end: usize,
    /// Just after the leading run of APP0/APP1 segments (after SOI when
    /// there is none): where a signer puts the seal.
    insert_at: usize,
}

fn survey(unit: &[u8]) -> Result<Survey, UnitError> {
    if unit.get(..2) != Some(&[0xff, SOI][..]) {
        return Err(UnitError::BadJpeg { at: 0 });
    }
    let mut s = Survey {
        seal: None,
        end: 0,
        insert_at: 2,
    };
    let mut leading_app = true;
    let mut scanned = false;
    let mut pos = 2;
    loop {
        // A marker: FF, any number of FF fill bytes, the code.
        match unit.get(pos) {
            None => return Err(UnitError::NoEndOfImage),
            Some(0xff) => {}
            Some(_) => return Err(UnitError::BadJpeg { at: pos }),
        }
        let code_at = pos + run_len(unit, pos, 0xff);
        let marker_at = code_at - 1;
        let code = *unit.get(code_at).ok_or(UnitError::NoEndOfImage)?;
        pos = code_at + 1;
        match code {
            EOI => {
                s.end = pos;
                return Ok(s);
            }
            TEM => {
                leading_app = false;
                continue;
            }
            // FF 00 (stuffing), reserved codes, a second SOI, a restart
            // marker outside a scan.
            0x00 | 0x02..=0xbf | SOI | 0xd0..=0xd7 => {
                return Err(UnitError::BadJpeg { at: marker_at });
            }
            _ => {}
        }
        let length = match (unit.get(pos), unit.get(pos + 1)) {
            (Some(&hi), Some(&lo)) => usize::from(u16::from_be_bytes([hi, lo])),
            _ => return Err(UnitError::NoEndOfImage),
        };
        if length < 2 {
            return Err(UnitError::BadJpeg { at: marker_at });
        }
        let segment_end = pos + length;
        let payload = unit
            .get(pos + 2..segment_end)
            .ok_or(UnitError::NoEndOfImage)?;
        if leading_app && (code == APP0 || code == APP1) {
            s.insert_at = segment_end;
        } else {
            leading_app = false;
        }
        if code == APP15
            && !scanned
            && let Some(body) = payload.strip_prefix(&FRAMESEAL_UUID[..])
        {
            if s.seal.is_some() {
                return Err(UnitError::TwoSeals);
            }
            s.seal = Some((SealBody::from_slice(body), marker_at, segment_end));
        }
        pos = segment_end;
        if code == SOS {
            scanned = true;
            pos = skip_entropy_coded(unit, pos)?;
        }
    }
}

/// The offset of the marker that ends the entropy-coded data starting at
/// `pos`: the first `FF` followed by a code that is neither `00` (a
/// stuffed `FF` byte), a restart marker `D0`–`D7`, nor another `FF` (fill).
fn skip_entropy_coded(unit: &[u8], mut pos: usize) -> Result<usize, UnitError> {
    loop {
        let rest = unit.get(pos..).unwrap_or_default();
        let ff = find_ff(rest).ok_or(UnitError::NoEndOfImage)?;
        let at = pos + ff;
        match unit.get(at + 1) {
            None => return Err(UnitError::NoEndOfImage),
            Some(0x00 | 0xd0..=0xd7) => pos = at + 2,
            Some(0xff) => pos = at + 1,
            Some(_) => return Ok(at),
        }
    }
}

/// The offset of the first `FF` byte (scan data, most of a JPEG file, is
/// skipped 8 bytes at a time).
fn find_ff(bytes: &[u8]) -> Option<usize> {
    let i = skip_words_without(bytes, 0, 0xff);
    let rest = bytes.get(i..)?;
    rest.iter().position(|&b| b == 0xff).map(|at| i + at)
}

pub(super) fn find_seal(unit: &[u8]) -> Result<Option<SealBody>, UnitError> {
    Ok(survey(unit)?.seal.map(|(body, _, _)| body))
}

pub(super) fn content(unit: &[u8], out: &mut Sink<'_>) -> Result<(), UnitError> {
    let s = survey(unit)?;
    let image = unit.get(..s.end).unwrap_or_default();
    match s.seal {
        Some((_, start, end)) => {
            out.put(image.get(..start).unwrap_or_default())?;
            out.put(image.get(end..).unwrap_or_default())
        }
        None => out.put(image),
    }
}

pub(super) fn insert_seal(unit: &[u8], seal: &[u8; SEAL_LEN]) -> Result<Vec<u8>, UnitError> {
    let s = survey(unit)?;
    if s.seal.is_some() {
        return Err(UnitError::AlreadySealed);
    }
    const LENGTH: usize = 2 + 16 + SEAL_LEN;
    let marker = [0xff, APP15];
    let length = (LENGTH as u16).to_be_bytes();
    spliced(
        unit,
        s.insert_at,
        &[&marker, &length, &FRAMESEAL_UUID, seal],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inband::testing::{self, seal, segment};
    use crate::inband::{self, Layout, UnitCodec, UnitFormat};
    use alloc::vec;

    fn jpeg() -> UnitFormat {
        UnitFormat::new(UnitCodec::Jpeg, Layout::Jpeg).unwrap()
    }

    fn seal_segment(body: &[u8]) -> Vec<u8> {
        segment(APP15, &[&FRAMESEAL_UUID[..], body].concat())
    }

    const SOI_: &[u8] = &[0xff, SOI];
    const EOI_: &[u8] = &[0xff, EOI];
    // Entropy-coded data with a stuffed FF, a restart marker and fill.
    const SCAN: &[u8] = &[0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0xff];

    fn image(before_sos: &[&[u8]]) -> Vec<u8> {
        let mut out = SOI_.to_vec();
        for s in before_sos {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&segment(0xdb, &[0; 5]));
        out.extend_from_slice(&segment(SOS, &[1, 1, 0, 0, 0x3f, 0]));
        out.extend_from_slice(SCAN);
        out.extend_from_slice(EOI_);
        out
    }

    fn content_of(unit: &[u8]) -> Result<Vec<u8>, UnitError> {
        testing::content_of(unit, jpeg(), true, None)
    }

    #[test]
    fn content_is_soi_through_eoi_without_the_seal_segment() {
        let app0 = segment(APP0, b"JFIF\0");
        let plain = image(&[&app0]);
        assert_eq!(content_of(&plain).unwrap(), plain);
        let mut with_tail = plain.clone();
        with_tail.extend_from_slice(b"trailing bytes \xff\xd9");
        assert_eq!(content_of(&with_tail).unwrap(), plain);
        let sealed = image(&[&app0, &seal_segment(&seal(1))]);
        assert_eq!(content_of(&sealed).unwrap(), plain);
        assert_eq!(
            inband::find_seal(&sealed, jpeg()).unwrap().unwrap().seal(),
            Some(&seal(1))
        );
    }

    #[test]
    fn insertion_follows_the_leading_app0_and_app1_segments() {
        let app0 = segment(APP0, b"JFIF\0");
        let app1 = segment(APP1, b"Exif\0\0");
        let app2 = segment(0xe2, b"ICC_PROFILE\0");
        let com = segment(0xfe, b"comment");
        let s = seal_segment(&seal(2));
        for (parts, at) in [
            (vec![&app0[..], &app1], 2),
            (vec![&app1[..], &app0, &app1], 3),
            (vec![&app0[..], &app2, &app1], 1),
            (vec![&com[..], &app0], 0),
            (vec![], 0),
        ] {
            let unit = image(&parts);
            let sealed = inband::insert_seal(&unit, jpeg(), &seal(2)).unwrap();
            let mut expected = parts.clone();
            expected.insert(at, &s);
            assert_eq!(sealed, image(&expected));
            assert_eq!(content_of(&sealed).unwrap(), content_of(&unit).unwrap());
            assert_eq!(
                inband::insert_seal(&sealed, jpeg(), &seal(2)),
                Err(UnitError::AlreadySealed)
            );
        }
        assert_eq!(s.len(), 2 + 166);
        assert_eq!(&s[..4], &[0xff, 0xef, 0x00, 0xa6]);
    }

    #[test]
    fn seals_are_app15_with_the_uuid_before_the_first_scan() {
        let body = seal(3);
        // Anywhere before SOS, with any body length.
        let unit = image(&[&segment(0xfe, b"x"), &seal_segment(b"FSEAL\x05")]);
        let found = inband::find_seal(&unit, jpeg()).unwrap().unwrap();
        assert_eq!((found.len(), found.head()), (6, &b"FSEAL\x05"[..]));
        // Another APP15, or one after the first scan, is no seal.
        let other = segment(APP15, &[0x1e; 40]);
        assert_eq!(inband::find_seal(&image(&[&other]), jpeg()), Ok(None));
        let mut late = image(&[]);
        let eoi = late.len() - 2;
        late.splice(eoi..eoi, seal_segment(&body));
        assert_eq!(inband::find_seal(&late, jpeg()), Ok(None));
        assert_eq!(content_of(&late).unwrap(), late);
        // Two.
        let two = image(&[&seal_segment(&body), &seal_segment(&body)]);
        assert_eq!(inband::find_seal(&two, jpeg()), Err(UnitError::TwoSeals));
    }

    #[test]
    fn files_without_eoi_or_with_bad_markers_are_refused() {
        let unit = image(&[]);
        for cut in 2..unit.len() - 1 {
            assert_eq!(
                inband::find_seal(&unit[..cut], jpeg()),
                Err(UnitError::NoEndOfImage),
                "cut {cut}"
            );
        }
        assert_eq!(
            inband::find_seal(&[0xff, SOI, 0xff], jpeg()),
            Err(UnitError::NoEndOfImage)
        );
        for (bad, at) in [
            (vec![0xff, 0xd9], 0),
            (vec![0xd8, 0xff], 0),
            ([SOI_, &[0x00], EOI_].concat(), 2),
            ([SOI_, &[0xff, 0x00], EOI_].concat(), 2),
            ([SOI_, &[0xff, 0x80], EOI_].concat(), 2),
            ([SOI_, &[0xff, 0xd8], EOI_].concat(), 2),
            ([SOI_, &[0xff, 0xd3], EOI_].concat(), 2),
            ([SOI_, &[0xff, 0xfe, 0x00, 0x01], EOI_].concat(), 2),
            ([SOI_, &segment(0xfe, b"x"), &[0x00], EOI_].concat(), 7),
        ] {
            assert_eq!(
                inband::find_seal(&bad, jpeg()),
                Err(UnitError::BadJpeg { at }),
                "{bad:02x?}"
            );
        }
        // Fill bytes before a marker, and TEM, are fine.
        let unit = [SOI_, &[0xff, 0xff, 0xff, 0x01], &[0xff, 0xff], EOI_].concat();
        assert_eq!(inband::find_seal(&unit, jpeg()), Ok(None));
        assert_eq!(content_of(&unit).unwrap(), unit);
    }

    #[test]
    fn entropy_coded_data_ends_only_at_a_real_marker() {
        // An EOI-looking byte pair inside the scan would be FF 00 D9.
        let mut unit = image(&[]);
        let eoi = unit.len() - 2;
        unit.splice(eoi..eoi, [0xff, 0x00, 0xd9, 0xff, 0xd7, 0x00]);
        assert_eq!(content_of(&unit).unwrap(), unit);
        // A progressive file: a DHT and a second scan after the first.
        let mut two_scans = image(&[]);
        let eoi = two_scans.len() - 2;
        let second: Vec<u8> = [
            segment(0xc4, &[0; 3]),
            segment(SOS, &[1, 1, 0, 1, 5, 0]),
            vec![0xaa, 0xff, 0x00],
        ]
        .concat();
        two_scans.splice(eoi..eoi, second);
        assert_eq!(content_of(&two_scans).unwrap(), two_scans);
        // Scan data that ends the file.
        let cut = image(&[]);
        assert_eq!(
            content_of(&cut[..cut.len() - 2]),
            Err(UnitError::NoEndOfImage)
        );
    }

    #[test]
    fn find_ff_finds_the_first_ff_at_any_offset() {
        for len in 0..40 {
            for at in 0..=len {
                let mut bytes = vec![0xfe; len];
                if at < len {
                    bytes[at] = 0xff;
                    if at + 3 < len {
                        bytes[at + 3] = 0xff;
                    }
                }
                assert_eq!(
                    find_ff(&bytes),
                    (at < len).then_some(at),
                    "len {len} at {at}"
                );
            }
        }
    }

    #[test]
    fn every_jpeg_is_a_keyframe() {
        assert_eq!(inband::is_keyframe(&image(&[]), jpeg()), Ok(true));
        assert_eq!(
            inband::is_keyframe(&image(&[])[..10], jpeg()),
            Err(UnitError::NoEndOfImage)
        );
    }
}
