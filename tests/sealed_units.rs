//! In-band seals end to end on real encoder output (tests/fixtures/inband,
//! made by ffmpeg: see its README): every unit of each stream sealed by
//! `Signer::seal_unit` and verified by `Verifier::try_verify_unit`, and the
//! attacks a relay can make on units, each named after what it does.

use frameseal::inband::elementary::{Ivf, annexb_access_units};
use frameseal::inband::{self, Layout, UnitCodec, UnitFormat};
use frameseal::{DropReason, FrameSpec, Signer, Verifier};
use support::media::{self, camera, display};
use support::units::annexb_nal_units;

mod support;

const NOW_US: u64 = 1_700_000_000_000_000;

fn fixture(name: &str) -> Vec<u8> {
    media::fixture("inband", name)
}

fn format(codec: UnitCodec, layout: Layout) -> UnitFormat {
    UnitFormat::new(codec, layout).unwrap()
}

/// Each unit of the fixture, with whether it is a keyframe.
fn units(codec: UnitCodec) -> (Vec<Vec<u8>>, UnitFormat) {
    match codec {
        UnitCodec::H264 | UnitCodec::H265 => {
            let name = if codec == UnitCodec::H264 {
                "h264-bframes.h264"
            } else {
                "h265.h265"
            };
            let stream = fixture(name);
            let f = format(codec, Layout::AnnexB);
            let units = annexb_access_units(&stream, codec).unwrap();
            (units.into_iter().map(<[u8]>::to_vec).collect(), f)
        }
        UnitCodec::Av1 => {
            let file = fixture("av1.ivf");
            let ivf = Ivf::parse(&file).unwrap();
            (
                ivf.frames.iter().map(|(_, d)| d.to_vec()).collect(),
                format(codec, Layout::Obu),
            )
        }
        UnitCodec::Jpeg => (
            [
                "jfif.jpg",
                "exif.jpg",
                "no-app.jpg",
                "progressive-restart.jpg",
            ]
            .iter()
            .map(|n| fixture(n))
            .collect(),
            format(codec, Layout::Jpeg),
        ),
    }
}

/// Seals every unit in order (seq = position, KEYFRAME from the unit).
fn sealed(cam: &mut Signer, codec: UnitCodec) -> (Vec<(Vec<u8>, bool)>, UnitFormat) {
    let (units, f) = units(codec);
    let out = units
        .iter()
        .enumerate()
        .map(|(i, unit)| {
            let keyframe = inband::is_keyframe(unit, f).unwrap();
            let spec = FrameSpec {
                seq: Some(i as u64),
                keyframe,
                ..FrameSpec::at(NOW_US)
            };
            (cam.seal_unit(unit, f, None, &spec).unwrap(), keyframe)
        })
        .collect();
    (out, f)
}

fn verdict(v: &mut Verifier, unit: &[u8], f: UnitFormat) -> Result<u64, DropReason> {
    v.try_verify_unit(unit, f, None, NOW_US as i64)
        .expect("memory")
        .map(|ok| ok.header.seq)
}

const CODECS: [UnitCodec; 4] = [
    UnitCodec::H264,
    UnitCodec::H265,
    UnitCodec::Av1,
    UnitCodec::Jpeg,
];

#[test]
fn every_sealed_unit_of_real_streams_is_accepted_in_order() {
    for codec in CODECS {
        let mut cam = camera(1);
        let (units, f) = sealed(&mut cam, codec);
        assert!(units.len() >= 4, "{codec}: {} units", units.len());
        assert!(units[0].1, "{codec}: the stream starts with a keyframe");
        let mut v = display(&cam);
        for (i, (unit, _)) in units.iter().enumerate() {
            assert_eq!(verdict(&mut v, unit, f), Ok(i as u64), "{codec} unit {i}");
        }
        assert_eq!(v.stats().accepted, units.len() as u64);
    }
}

/// For every codec: a display linked to camera 1 drops the unit `make`
/// gives for `expected`.
fn every_codec_drops(expected: DropReason, make: impl Fn(UnitCodec) -> (Vec<u8>, UnitFormat)) {
    for codec in CODECS {
        let (unit, f) = make(codec);
        let mut v = display(&camera(1));
        assert_eq!(verdict(&mut v, &unit, f), Err(expected), "{codec}");
    }
}

#[test]
fn a_relay_that_strips_the_seal_leaves_the_unit_unsigned() {
    every_codec_drops(DropReason::Unsigned, |codec| {
        let (units, f) = units(codec);
        (units[0].clone(), f)
    });
}

#[test]
fn a_slice_from_another_camera_swapped_in_is_bad_signature() {
    // The same unit position of the same stream, sealed by the linked
    // camera, then one picture byte changed (another camera's slice, a
    // corrupted packet): the seal verifies, its content hash does not.
    for codec in CODECS {
        let mut cam = camera(1);
        let (units, f) = sealed(&mut cam, codec);
        let mut v = display(&cam);
        let (unit, _) = &units[1];
        let mut swapped = unit.clone();
        let at = swapped.len() - 10;
        swapped[at] ^= 0x55;
        assert_eq!(
            verdict(&mut v, &swapped, f),
            Err(DropReason::BadSignature),
            "{codec}"
        );
        assert_eq!(
            verdict(&mut v, unit, f),
            Ok(1),
            "{codec}: the genuine one still passes"
        );
    }
}

#[test]
fn another_cameras_sealed_units_are_foreign_key() {
    every_codec_drops(DropReason::ForeignKey, |codec| {
        let (units, f) = sealed(&mut camera(2), codec);
        (units[0].0.clone(), f)
    });
}

#[test]
fn a_replayed_unit_is_replayed_and_units_share_the_window_with_frames() {
    let mut cam = camera(1);
    let (units, f) = sealed(&mut cam, UnitCodec::H264);
    let mut v = display(&cam);
    assert_eq!(verdict(&mut v, &units[0].0, f), Ok(0));
    assert_eq!(verdict(&mut v, &units[0].0, f), Err(DropReason::Replayed));
    // A version-2 envelope frame with the seq of unit 1 takes its place.
    let spec = FrameSpec {
        seq: Some(1),
        ..FrameSpec::at(NOW_US)
    };
    let frame = cam.seal_frame(b"envelope", &spec).unwrap();
    assert!(v.verify(&frame, NOW_US as i64).is_ok());
    assert_eq!(verdict(&mut v, &units[1].0, f), Err(DropReason::Replayed));
    assert_eq!(verdict(&mut v, &units[2].0, f), Ok(2));
}

#[test]
fn a_unit_sealed_twice_is_refused_by_the_signer_and_malformed_to_the_verifier() {
    let mut cam = camera(1);
    let (units, f) = sealed(&mut cam, UnitCodec::H264);
    let spec = FrameSpec {
        seq: Some(99),
        ..FrameSpec::at(NOW_US)
    };
    assert!(cam.seal_unit(&units[0].0, f, None, &spec).is_err());
    // A relay that copies the seal's SEI NAL unit in a second time.
    let once = &units[0].0;
    let uuid = once
        .windows(16)
        .position(|w| w == frameseal::inband::FRAMESEAL_UUID)
        .unwrap();
    let start = once[..uuid]
        .windows(3)
        .rposition(|w| w == [0, 0, 1])
        .unwrap();
    let end = uuid
        + once[uuid..]
            .windows(3)
            .position(|w| w == [0, 0, 1])
            .unwrap();
    let end = if once[end - 1] == 0 { end - 1 } else { end };
    let mut twice = once.clone();
    twice.splice(start..start, once[start..end].to_vec());
    let mut v = display(&cam);
    assert_eq!(verdict(&mut v, &twice, f), Err(DropReason::Malformed));
}

#[test]
fn a_forged_seal_costs_no_hash_and_changes_nothing() {
    let mut cam = camera(1);
    let (units, f) = sealed(&mut cam, UnitCodec::H265);
    let mut v = display(&cam);
    let mut forged = units[0].0.clone();
    // Flip a bit of the seal's signature inside the SEI payload (the seal
    // sits right after the UUID).
    let uuid = frameseal::inband::FRAMESEAL_UUID;
    let at = forged.windows(16).position(|w| w == uuid).unwrap() + 16 + 100;
    forged[at] ^= 0x01;
    assert_eq!(verdict(&mut v, &forged, f), Err(DropReason::BadSignature));
    assert_eq!(v.stats().accepted, 0);
    assert_eq!(verdict(&mut v, &units[0].0, f), Ok(0));
}

#[test]
fn parameter_sets_a_relay_puts_in_a_delta_unit_never_reach_the_decoder() {
    // The relay copies the keyframe's SPS and PPS into a delta unit and
    // alters the SPS (a cropping or colour change): the delta unit still
    // verifies (parameter sets in delta units are not covered), so what the
    // decoder gets must not hold them.
    for codec in [UnitCodec::H264, UnitCodec::H265] {
        let mut cam = camera(1);
        let (units, f) = sealed(&mut cam, codec);
        let (key, _) = &units[0];
        let (delta_index, (delta, _)) = units
            .iter()
            .enumerate()
            .find(|(_, (_, k))| !k)
            .expect("a delta unit");
        // The keyframe's NAL units before its first picture: its parameter
        // sets (and AUD / SEI, also harmless to repeat).
        let uuid = key
            .windows(16)
            .position(|w| w == inband::FRAMESEAL_UUID)
            .unwrap();
        let params = &key[..key[..uuid]
            .windows(3)
            .rposition(|w| w == [0, 0, 1])
            .unwrap()
            - 1];
        let mut injected = params.to_vec();
        // An altered SPS: one bit of its second payload byte flipped.
        let sps_type = if codec == UnitCodec::H264 { 7 } else { 33 };
        let sps = injected
            .windows(4)
            .position(|w| {
                w[..3] == [0, 0, 1]
                    && if codec == UnitCodec::H264 {
                        w[3] & 0x1f
                    } else {
                        (w[3] >> 1) & 0x3f
                    } == sps_type
            })
            .expect("an SPS in the keyframe");
        injected[sps + 6] ^= 0x01;
        injected.extend_from_slice(delta);
        let mut v = display(&cam);
        assert_eq!(verdict(&mut v, &key.clone(), f), Ok(0), "{codec}");
        for (i, (unit, _)) in units.iter().enumerate().take(delta_index).skip(1) {
            assert_eq!(verdict(&mut v, unit, f), Ok(i as u64), "{codec}");
        }
        let check = inband::content(&injected, f, false, None, &mut |_| {});
        assert!(check.is_ok(), "{codec}: {check:?}");
        assert_eq!(
            verdict(&mut v, &injected, f),
            Ok(delta_index as u64),
            "{codec}"
        );
        let decodable = inband::for_decoder(&injected, f, false).unwrap();
        let nal_types: Vec<u8> = decodable
            .windows(4)
            .filter(|w| w[..3] == [0, 0, 1])
            .map(|w| {
                if codec == UnitCodec::H264 {
                    w[3] & 0x1f
                } else {
                    (w[3] >> 1) & 0x3f
                }
            })
            .collect();
        let parameter_sets: &[u8] = if codec == UnitCodec::H264 {
            &[7, 8]
        } else {
            &[32, 33, 34]
        };
        assert!(
            nal_types.iter().all(|t| !parameter_sets.contains(t)),
            "{codec}: parameter sets reach the decoder: {nal_types:?}"
        );
        assert!(
            decodable.ends_with(delta),
            "{codec}: the delta unit itself is kept"
        );
        // A keyframe keeps its own (covered) parameter sets.
        assert_eq!(&inband::for_decoder(key, f, true).unwrap(), key);
    }
}

#[test]
fn parameter_sets_resent_between_the_slices_of_one_picture_stay_in_its_access_unit() {
    // What GStreamer's rtph264pay config-interval=-1 sends: SPS and PPS
    // before every IDR slice, so between the two slices of one picture
    // (legal: H.264 §7.4.1.2.3 opens a unit only after a picture's last
    // slice). The file splitter keeps them with that picture, and the
    // picture's seal still verifies (its P counts duplicates once).
    let mut cam = camera(1);
    let (units, f) = sealed(&mut cam, UnitCodec::H264);
    let mut stream = Vec::new();
    let mut resent = 0;
    for (unit, keyframe) in &units {
        let nals = annexb_nal_units(unit);
        let parameter_sets: Vec<&[u8]> = nals
            .iter()
            .copied()
            .filter(|n| matches!(n[0] & 0x1f, 7 | 8))
            .collect();
        let mut slices = 0;
        for nal in &nals {
            if *keyframe && nal[0] & 0x1f == 5 {
                slices += 1;
                if slices > 1 {
                    for p in &parameter_sets {
                        stream.extend_from_slice(&[0, 0, 0, 1]);
                        stream.extend_from_slice(p);
                    }
                    resent += 1;
                }
            }
            stream.extend_from_slice(&[0, 0, 0, 1]);
            stream.extend_from_slice(nal);
        }
    }
    assert_eq!(resent, 2, "two keyframes of two slices each");
    let split = annexb_access_units(&stream, UnitCodec::H264).unwrap();
    assert_eq!(split.len(), units.len());
    let mut v = display(&cam);
    for (i, unit) in split.iter().enumerate() {
        assert_eq!(verdict(&mut v, unit, f), Ok(i as u64), "unit {i}");
    }
}
