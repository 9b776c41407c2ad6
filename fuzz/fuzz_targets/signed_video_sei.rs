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
//! `signed_video::gate`, in mark mode with bit 6, else hold mode), then the
//! bytes.
//!
//! Invariants: nothing panics or overflows; a parsed SEI's hashed bytes are
//! never longer than the NAL unit (with emulation prevention) they come
//! from; parsing is deterministic; a signed SEI has a signature offset
//! inside its TLVs; every sample an MP4 track lists lies inside the file,
//! and its NAL units inside the sample; the track's codec string and
//! sample times can be read; the gate accounts for every access unit
//! (released, dropped or carried), releases in decode order, and holds
//! nothing once finished.
#![no_main]

use frameseal::signed_video::gate::{DropReason, Gate, Layout, Mode};
use frameseal::signed_video::sei::parse_nal;
use frameseal::signed_video::{
    CaTrust, Codec, Scheme, StreamValidator, annexb_nal_units, mp4, tlv,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&options, rest)) = input.split_first() else {
        return;
    };
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
            let validator = StreamValidator::new(track.codec);
            let Ok(mut gate) = Gate::new(
                validator,
                track.codec,
                Layout::LengthPrefixed(track.length_size),
                mode,
            ) else {
                return;
            };
            let mut taken = 0u64;
            let mut released = Vec::new();
            for i in 0..track.len() {
                let _ = track.time(i);
                let sample = track
                    .sample(rest, i)
                    .expect("listed samples lie inside the file");
                if gate.push(sample, i).is_ok() {
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
