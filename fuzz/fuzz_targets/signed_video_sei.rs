//! The Axis Signed Video / ONVIF Media Signing SEI and TLV parsers
//! (`frameseal::signed_video`, issue 18) on any bytes.
//!
//! Input: one byte of options (bit 0: H.265; bit 1: read the rest as a
//! whole Annex B stream through `StreamValidator`, else as one NAL unit;
//! bit 2: also parse the rest as bare TLVs of the ONVIF scheme, else Axis;
//! bit 3: read the rest as an MP4 file instead, `signed_video::mp4`, and
//! validate its samples; bit 4: read the rest as PEM certificates, a CA
//! and its chain as `--trust-ca` reads them, `signed_video::trust`; bit
//! 5, with bit 3: the MP4 samples go through the display gate,
//! `signed_video::gate`, in mark mode with bit 6, else hold mode; bit 7:
//! AV1, the rest as one OBU for `sei::parse_obu` and the Axis TLVs, or
//! with bit 1 as a low-overhead OBU stream, `signed_video::av1::obu_units`,
//! through `StreamValidator` and, with bit 5, through the display gate one
//! OBU an access unit), then the bytes.
//!
//! Invariants: nothing panics or overflows; a parsed SEI's hashed bytes are
//! never longer than the NAL unit (with emulation prevention) they come
//! from; parsing is deterministic; a signed SEI has a signature offset
//! inside its TLVs; every sample an MP4 track lists lies inside the file,
//! and its NAL units inside the sample; the track's codec string and
//! sample times can be read; the gate accounts for every access unit
//! (released, dropped or carried), releases in decode order, and holds
//! nothing once finished; the OBUs of a stream are its bytes, in order,
//! each one whole (header, size field, payload).
#![no_main]

use frameseal::signed_video::av1;
use frameseal::signed_video::gate::{DropReason, Gate, Layout, Mode};
use frameseal::signed_video::sei::{parse_nal, parse_obu};
use frameseal::signed_video::{
    CaTrust, Codec, Scheme, StreamValidator, annexb_nal_units, mp4, tlv,
};
use libfuzzer_sys::fuzz_target;

/// Pushes `units` through a gate of `codec` and checks its accounting.
fn gate_accounts(codec: Codec, layout: Layout, mode: Mode, units: &[&[u8]]) {
    let Ok(mut gate) = Gate::new(StreamValidator::new(codec), codec, layout, mode) else {
        return;
    };
    let mut taken = 0u64;
    let mut released = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        if gate.push(unit, i).is_ok() {
            taken += 1;
        }
        released.extend(gate.take_released().into_iter().map(|r| (r.frame, r.meta)));
    }
    gate.finish();
    released.extend(gate.take_released().into_iter().map(|r| (r.frame, r.meta)));
    let stats = gate.stats();
    assert_eq!((stats.held, stats.held_bytes), (0, 0));
    assert_eq!(stats.released, released.len() as u64);
    let dropped: u64 = DropReason::ALL.iter().map(|r| stats.dropped(*r)).sum();
    assert_eq!(stats.released + dropped + stats.carried, taken);
    assert!(
        released
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
    );
}

/// AV1 (option bit 7): a metadata OBU, or a low-overhead stream.
fn av1(options: u8, rest: &[u8]) {
    if options & 2 == 0 {
        let first = parse_obu(rest);
        if let Ok(Some(sei)) = &first {
            assert_eq!(sei.codec, Codec::Av1);
            assert_eq!(sei.scheme, Scheme::Axis);
            assert!(sei.hashable().len() <= rest.len());
            assert!(rest.starts_with(sei.hashable()));
            assert_eq!(sei.is_signed(), sei.payload.signature_offset.is_some());
        }
        assert_eq!(parse_obu(rest), first);
        assert_eq!(parse_nal(rest, Codec::Av1), first);
        return;
    }
    let Ok(obus) = av1::obu_units(rest) else {
        return;
    };
    // The OBUs tile the bytes, each with a size field that says its end.
    assert_eq!(obus.concat(), rest);
    for obu in &obus {
        let h = av1::header(obu).expect("a split OBU has a header");
        assert!(h.has_size);
        assert_eq!(h.payload_start + h.payload_len, obu.len());
    }
    if options & 32 != 0 {
        let mode = if options & 64 != 0 {
            Mode::Mark
        } else {
            Mode::Hold
        };
        gate_accounts(Codec::Av1, Layout::AnnexB, mode, &obus);
        return;
    }
    let mut v = StreamValidator::new(Codec::Av1);
    for obu in &obus {
        let _ = v.push_nal(obu);
    }
    let pictures = v.pictures();
    let reports = v.finish();
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(r.gop, i);
    }
    assert_eq!(reports.iter().map(|r| r.frames).sum::<u64>(), pictures);
}

fuzz_target!(|input: &[u8]| {
    let Some((&options, rest)) = input.split_first() else {
        return;
    };
    if options & 128 != 0 {
        av1(options, rest);
        return;
    }
    if options & 16 != 0 {
        // Certificates (the DER reader of trust.rs behind base64): never a
        // panic, the same answer twice.
        let first = CaTrust::from_pem(rest, 0);
        assert_eq!(CaTrust::from_pem(rest, 0), first);
        return;
    }
    if options & 8 != 0 && options & 32 != 0 {
        if let Ok(track) = mp4::video_track(rest) {
            let _ = track.codec_string();
            let mode = if options & 64 != 0 {
                Mode::Mark
            } else {
                Mode::Hold
            };
            let samples: Vec<&[u8]> = (0..track.len())
                .map(|i| {
                    let _ = track.time(i);
                    track
                        .sample(rest, i)
                        .expect("listed samples lie inside the file")
                })
                .collect();
            gate_accounts(
                track.codec,
                Layout::LengthPrefixed(track.length_size),
                mode,
                &samples,
            );
        }
        return;
    }
    if options & 8 != 0 {
        if let Ok(track) = mp4::video_track(rest) {
            let mut v = StreamValidator::new(track.codec);
            for i in 0..track.len() {
                let sample = track
                    .sample(rest, i)
                    .expect("listed samples lie inside the file");
                if let Ok(units) = track.nal_units(sample) {
                    for nal in units {
                        assert!(nal.len() <= sample.len());
                        let _ = v.push_nal(nal);
                    }
                }
            }
            let _ = v.finish();
        }
        return;
    }
    let codec = if options & 1 != 0 {
        Codec::H265
    } else {
        Codec::H264
    };
    let scheme = if options & 4 != 0 {
        Scheme::Onvif
    } else {
        Scheme::Axis
    };
    if let Ok(payload) = tlv::parse(scheme, rest) {
        if payload.signature.is_some() {
            assert!(payload.signature_offset.is_some_and(|o| o < rest.len()));
        }
        assert_eq!(tlv::parse(scheme, rest), Ok(payload));
    }
    if options & 2 != 0 {
        let mut v = StreamValidator::new(codec);
        for nal in annexb_nal_units(rest) {
            let _ = v.push_nal(nal);
        }
        let reports = v.finish();
        for (i, r) in reports.iter().enumerate() {
            assert_eq!(r.gop, i);
        }
        return;
    }
    let first = parse_nal(rest, codec);
    if let Ok(Some(sei)) = &first {
        assert!(sei.hashable().len() <= rest.len());
        assert_eq!(sei.is_signed(), sei.payload.signature_offset.is_some());
    }
    assert_eq!(parse_nal(rest, codec), first);
});
