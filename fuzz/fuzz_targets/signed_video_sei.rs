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
//! OBU an access unit), then the bytes. Bits 3 and 4 together: the rest
//! drives `signed_video::mse::MseGate` (see [`mse`]).
//!
//! Invariants: nothing panics or overflows; a parsed SEI's hashed bytes are
//! never longer than the NAL unit (with emulation prevention) they come
//! from; parsing is deterministic; a signed SEI has a signature offset
//! inside its TLVs; every sample an MP4 track lists lies inside the file,
//! and its NAL units inside the sample; the track's codec string and
//! sample times can be read; the gate accounts for every access unit
//! (released, dropped or carried), releases in decode order, and holds
//! nothing once finished; the OBUs of a stream are its bytes, in order,
//! each one whole (header, size field, payload); the MSE gate never
//! panics, and every media segment it writes reparses (with the fMP4
//! parser FragmentFilter uses) against its cleaned init segment to exactly
//! the pictures it says it released, in order, with their times, those
//! pictures coming in strictly increasing decode order over the stream.
#![no_main]

use frameseal::fmp4::{InitSegment, MediaSegment};
use frameseal::signed_video::Trust;
use frameseal::signed_video::av1;
use frameseal::signed_video::gate::{DropReason, Gate, Layout, Mode};
use frameseal::signed_video::mse::{MseError, MseGate, Output, SampleTimes};
use frameseal::signed_video::sei::{parse_nal, parse_obu};
use frameseal::signed_video::{
    CaTrust, Codec, Scheme, StreamValidator, annexb_nal_units, mp4, tlv,
};
use libfuzzer_sys::fuzz_target;

/// A real signed stream as fragmented MP4: Axis's H.265 recording through
/// ffmpeg (`-c copy -movflags frag_keyframe+empty_moov+default_base_moof`),
/// an init segment and six `moof` + `mdat` pairs, one a GOP.
const FRAGMENTED: &[u8] =
    include_bytes!("../../tests/fixtures/signed-video/axis_signed_test_h265_fragmented.mp4");

/// [`FRAGMENTED`]'s init segment and media segments.
fn fragments() -> (&'static [u8], Vec<&'static [u8]>) {
    let mut init_end = 0;
    let mut segments = Vec::new();
    let mut moof = None;
    let mut at = 0;
    while at + 8 <= FRAGMENTED.len() {
        let size = u32::from_be_bytes(FRAGMENTED[at..at + 4].try_into().expect("4 bytes")) as usize;
        match &FRAGMENTED[at + 4..at + 8] {
            b"ftyp" | b"moov" => init_end = at + size,
            b"moof" => moof = Some(at),
            b"mdat" => segments.push(&FRAGMENTED[moof.take().expect("moof first")..at + size]),
            _ => {}
        }
        at += size;
    }
    (&FRAGMENTED[..init_end], segments)
}

/// Reads a big-endian u16 off the front of `input`.
fn take_u16(input: &mut &[u8]) -> Option<usize> {
    let (head, rest) = input.split_first_chunk::<2>()?;
    *input = rest;
    Some(usize::from(u16::from_be_bytes(*head)))
}

/// Checks one call's output against the cleaned init segment: the segment
/// is there exactly when pictures are, and reparses to exactly their
/// times, in order; the pictures follow the ones released before.
fn check_output(init: &InitSegment, out: &Output, last_frame: &mut Option<u64>) {
    assert_eq!(out.segment.is_empty(), out.pictures.is_empty());
    for p in &out.pictures {
        assert!(last_frame.is_none_or(|f| f < p.frame), "released in order");
        *last_frame = Some(p.frame);
    }
    if out.segment.is_empty() {
        return;
    }
    let seg = MediaSegment::parse(init, &out.segment).expect("a written segment reparses");
    let times: Vec<SampleTimes> = seg
        .video()
        .iter()
        .map(|s| {
            assert!(!seg.data(s).is_empty());
            SampleTimes::from(s)
        })
        .collect();
    let written: Vec<SampleTimes> = out.pictures.iter().map(|p| p.times).collect();
    assert_eq!(
        times, written,
        "the written samples are the released pictures"
    );
}

/// `MseGate` (option bits 3 and 4). `rest`: a byte of options (bit 0:
/// mark mode, else hold; bit 1: a 2-byte length and an init segment of
/// that length from the input, else [`FRAGMENTED`]'s), then operations,
/// each a byte whose top two bits choose: a media segment of
/// [`FRAGMENTED`] (the low six bits, modulo their count) as it is, with a
/// byte changed (a 2-byte offset, then the XOR), cut (a 2-byte length), or
/// raw input bytes (a 2-byte length, then the bytes). Then `finish`.
fn mse(rest: &[u8]) {
    let Some((&sub, mut input)) = rest.split_first() else {
        return;
    };
    let (fixture_init, segments) = fragments();
    let mode = if sub & 1 != 0 { Mode::Mark } else { Mode::Hold };
    let init_bytes = if sub & 2 != 0 {
        let Some(len) = take_u16(&mut input) else {
            return;
        };
        let Some((init, rest)) = input.split_at_checked(len) else {
            return;
        };
        input = rest;
        init
    } else {
        fixture_init
    };
    let Ok(mut gate) = MseGate::new(init_bytes, Trust::InStream, mode) else {
        return;
    };
    let cleaned = InitSegment::parse(gate.init_segment()).expect("the cleaned init reparses");
    assert_eq!(cleaned.track_id(), gate.init().track_id());
    assert_eq!(cleaned.timescale(), gate.init().timescale());
    let mut last_frame = None;
    let mut released = 0u64;
    let mut all_written = true;
    let mut ops = 0;
    while let Some((&op, rest)) = input.split_first() {
        input = rest;
        ops += 1;
        if ops > 64 {
            break;
        }
        let genuine = segments[usize::from(op & 63) % segments.len()];
        let mut owned;
        let bytes: &[u8] = match op >> 6 {
            0 => genuine,
            1 => {
                let (Some(at), Some((&x, rest))) = (take_u16(&mut input), input.split_first())
                else {
                    break;
                };
                input = rest;
                owned = genuine.to_vec();
                let at = at % owned.len();
                owned[at] ^= x.max(1);
                &owned
            }
            2 => {
                let Some(len) = take_u16(&mut input) else {
                    break;
                };
                &genuine[..len.min(genuine.len())]
            }
            _ => {
                let Some(len) = take_u16(&mut input) else {
                    break;
                };
                let (raw, rest) = input.split_at(len.min(input.len()));
                input = rest;
                raw
            }
        };
        match gate.push_segment(bytes) {
            Ok(out) => {
                check_output(&cleaned, &out, &mut last_frame);
                released += out.pictures.len() as u64;
            }
            // A segment that does not parse changes nothing.
            Err(MseError::BadFragment(_)) => {}
            // Released pictures whose times one `trun` cannot hold (or too
            // large) are not written: the call fails, the count below differs.
            Err(_) => all_written = false,
        }
        let _ = gate.take_reports();
    }
    match gate.finish() {
        Ok(out) => {
            check_output(&cleaned, &out, &mut last_frame);
            released += out.pictures.len() as u64;
        }
        Err(_) => all_written = false,
    }
    let stats = gate.stats();
    if all_written {
        assert_eq!(stats.released, released, "every released picture written");
    }
    assert_eq!((stats.held, stats.held_bytes), (0, 0));
    // A finished gate takes nothing more.
    assert!(gate.push_segment(segments[0]).is_err());
}

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
    if options & 24 == 24 {
        mse(rest);
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
