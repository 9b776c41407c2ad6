//! Invariants of `frameseal::inband` on any unit, shared by the targets
//! `h26x_units`, `av1_units`, `jpeg_units` and `seal_insertion`.

use frameseal::inband::testing::content_of;
use frameseal::inband::{self, SEAL_LEN, UnitCodec, UnitError, UnitFormat};

/// An input's decoder configuration record and unit: when `has_config`, a
/// 2-byte big-endian length and that many bytes (fewer if the input ends)
/// come first; `None` if the length itself is cut short.
#[allow(dead_code, reason = "h26x_units and av1_units only")]
pub fn split_config(input: &[u8], has_config: bool) -> Option<(Option<&[u8]>, &[u8])> {
    if !has_config {
        return Some((None, input));
    }
    let (len, rest) = input.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
    let (config, unit) = rest.split_at(len);
    Some((Some(config), unit))
}

/// A seal that depends on the unit (so it varies), starting `FSEAL`.
pub fn seal_for(unit: &[u8]) -> [u8; SEAL_LEN] {
    let mut seal = [0u8; SEAL_LEN];
    seal[..5].copy_from_slice(b"FSEAL");
    for (i, b) in unit.iter().take(SEAL_LEN - 5).enumerate() {
        seal[5 + i] = *b;
    }
    seal
}

/// Checks every function on `unit` and what they say about each other;
/// returns the content without P (`None` if the unit does not split).
///
/// - every function splits the unit the same way: `find_seal`,
///   `is_keyframe` and `content` fail with the same error, or all succeed
///   (AV1's `is_keyframe` also reads the first frame header, and may refuse
///   an empty one alone);
/// - `content` with KEYFRAME is P then the same V as without;
/// - `insert_seal` succeeds exactly on unsealed units with a picture; the
///   sealed unit holds exactly that seal, has the same content (with and
///   without KEYFRAME) and keyframe verdict, and is refused a second seal.
pub fn check_unit(
    unit: &[u8],
    format: UnitFormat,
    keyframe: bool,
    config: Option<&[u8]>,
) -> Option<Vec<u8>> {
    let found = inband::find_seal(unit, format);
    let key = inband::is_keyframe(unit, format);
    match (&found, &key) {
        (Err(a), Err(b)) => assert_eq!(a, b),
        (Ok(_), Err(UnitError::BadObu { .. })) if format.codec() == UnitCodec::Av1 => {}
        (Ok(_), Ok(_)) => {}
        other => panic!("find_seal and is_keyframe disagree: {other:?}"),
    }
    let v = content_of(unit, format, false, None);
    match (&found, &v) {
        (Err(a), Err(b)) => assert_eq!(a, b),
        (Ok(_), Ok(_)) => {}
        other => panic!("find_seal and content disagree: {other:?}"),
    }
    if let Ok(Some(body)) = &found {
        assert_eq!(body.head().len(), body.len().min(SEAL_LEN));
        assert_eq!(body.seal().is_some(), body.len() == SEAL_LEN);
    }
    let p_v = content_of(unit, format, keyframe, config);
    match (&v, &p_v) {
        (Ok(v), Ok(p_v)) => assert!(p_v.ends_with(v) && (keyframe || p_v == v)),
        (Err(a), Err(b)) => assert_eq!(a, b),
        (
            Ok(_),
            Err(
                UnitError::NoParameterSets
                | UnitError::BadConfig { .. }
                | UnitError::OutOfMemory(_),
            ),
        ) => {
            assert!(keyframe)
        }
        other => panic!("content with and without KEYFRAME disagree: {other:?}"),
    }

    let seal = seal_for(unit);
    match inband::insert_seal(unit, format, &seal) {
        Ok(sealed) => {
            assert!(
                matches!(found, Ok(None)),
                "sealed a unit that holds {found:?}"
            );
            assert!(sealed.len() > unit.len());
            let again = inband::find_seal(&sealed, format).expect("a sealed unit splits");
            assert_eq!(again.and_then(|s| s.seal().copied()), Some(seal));
            assert_eq!(content_of(&sealed, format, false, None), v);
            assert_eq!(content_of(&sealed, format, keyframe, config), p_v);
            match (&key, inband::is_keyframe(&sealed, format)) {
                (Ok(a), Ok(b)) => assert_eq!(*a, b),
                // The same error, where the seal moved it (AV1: an empty
                // frame header after the seal).
                (Err(a), Err(b)) => {
                    assert_eq!(std::mem::discriminant(a), std::mem::discriminant(&b))
                }
                other => panic!("sealing changed the keyframe verdict: {other:?}"),
            }
            assert_eq!(
                inband::insert_seal(&sealed, format, &seal),
                Err(UnitError::AlreadySealed)
            );
        }
        Err(UnitError::AlreadySealed) => assert!(matches!(found, Ok(Some(_)))),
        Err(UnitError::NoPicture) => assert!(matches!(found, Ok(None))),
        Err(e) => assert_eq!(found, Err(e)),
    }
    v.ok()
}
