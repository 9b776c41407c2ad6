//! VideoGate's reference-chain rule, without a decoder: which accepted video
//! frames may be handed to the decoder (SPEC §4).
//!
//! A delta frame only makes sense on top of the frame before it. So:
//! - an accepted keyframe is handed over if it starts a new stream or its
//!   seq is above the last handed-over frame's; it mends a broken chain;
//! - an accepted delta frame is handed over only if the chain is intact and
//!   its seq is exactly one more than the last handed-over frame's, on the
//!   same stream;
//! - anything else is skipped (counted), and after a skip every delta is
//!   skipped until the next keyframe;
//! - an accepted frame of the stream that is not a picture (a key-rotation
//!   frame, which takes a seq of its own) is a link of the chain: it is not
//!   handed over, but the next delta may follow it, so a rotation in the
//!   middle of a GOP costs no picture.
//!
//! Frames the verifier dropped never get here, so a foreign, replayed or
//! malformed frame injected between two genuine ones costs no picture; a
//! lost or forged camera frame costs the pictures up to the next keyframe.

use alloc::format;
use alloc::string::String;

use crate::frame::Codec;

/// The WebCodecs codec string for a video codec, taken from a keyframe's
/// payload where the bitstream says more than the codec byte: for H.264 the
/// profile and level from the first SPS (`avc1.PPCCLL`); otherwise a common
/// profile. `None` for codecs that are not video.
pub fn webcodecs_codec(codec: Codec, keyframe_payload: &[u8]) -> Option<String> {
    Some(match codec {
        Codec::H264 => h264_sps(keyframe_payload)
            .map(|[profile, constraints, level]| {
                format!("avc1.{profile:02x}{constraints:02x}{level:02x}")
            })
            .unwrap_or_else(|| "avc1.42001f".into()),
        Codec::H265 => "hev1.1.6.L93.B0".into(),
        Codec::Vp8 => "vp8".into(),
        Codec::Vp9 => "vp09.00.10.08".into(),
        Codec::Av1 => "av01.0.04M.08".into(),
        _ => return None,
    })
}

/// profile_idc, constraint flags and level_idc of the first SPS NAL unit
/// (type 7) in an Annex B byte stream.
fn h264_sps(annex_b: &[u8]) -> Option<[u8; 3]> {
    let mut i = 0;
    while let Some(window) = annex_b.get(i..i + 3) {
        if window == [0, 0, 1] {
            let nal = annex_b.get(i + 3..)?;
            if let [header, profile, constraints, level, ..] = *nal
                && header & 0x1F == 7
            {
                return Some([profile, constraints, level]);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    None
}

/// Tracks the last frame handed to the decoder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeChain {
    last: Option<([u8; 16], u64)>,
    broken: bool,
    skipped: u64,
}

impl DecodeChain {
    /// A chain that has handed nothing over yet (so it needs a keyframe).
    pub fn new() -> DecodeChain {
        DecodeChain::default()
    }

    /// Whether an accepted frame may be handed to the decoder; records it
    /// if so, counts it as skipped if not.
    pub fn admit(&mut self, stream_id: [u8; 16], seq: u64, keyframe: bool) -> bool {
        let follows = match self.last {
            None => false,
            Some((stream, last)) => stream == stream_id && last.checked_add(1) == Some(seq),
        };
        let admitted = if keyframe {
            match self.last {
                Some((stream, last)) if stream == stream_id => seq > last,
                _ => true,
            }
        } else {
            !self.broken && follows
        };
        if admitted {
            self.last = Some((stream_id, seq));
            if keyframe {
                self.broken = false;
            }
        } else {
            self.skipped += 1;
            if !keyframe {
                self.broken = true;
            }
        }
        admitted
    }

    /// Records an accepted frame that is not a picture (a key-rotation
    /// frame): if it follows the last handed-over frame on the same stream,
    /// the next delta may follow it. Never counted as skipped, and it never
    /// mends a broken chain.
    pub fn link(&mut self, stream_id: [u8; 16], seq: u64) {
        if let Some((stream, last)) = self.last
            && stream == stream_id
            && last.checked_add(1) == Some(seq)
        {
            self.last = Some((stream_id, seq));
        }
    }

    /// Marks the chain broken (the decoder failed): deltas wait for a keyframe.
    pub fn break_chain(&mut self) {
        self.broken = true;
    }

    /// Frames skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays `events` on a new chain and returns, for each frame offered,
    /// `+` if it was handed to the decoder or `-` if skipped, and the
    /// chain's skipped count. Events, space-separated: `A3` a delta frame of
    /// stream A (or B) with seq 3, `A3k` a keyframe, `=A3` an accepted
    /// key-rotation frame (a link), `!` a decoder failure.
    fn play(events: &str) -> (String, u64) {
        let mut chain = DecodeChain::new();
        let mut out = String::new();
        for event in events.split_whitespace() {
            if event == "!" {
                chain.break_chain();
                continue;
            }
            let (link, event) = match event.strip_prefix('=') {
                Some(rest) => (true, rest),
                None => (false, event),
            };
            let (keyframe, event) = match event.strip_suffix('k') {
                Some(rest) => (true, rest),
                None => (false, event),
            };
            let stream = match &event[..1] {
                "A" => [1; 16],
                "B" => [2; 16],
                other => panic!("unknown stream {other}"),
            };
            let seq = event[1..].parse().expect("a sequence number");
            if link {
                chain.link(stream, seq);
            } else {
                let decoded = chain.admit(stream, seq, keyframe);
                out.push(if decoded { '+' } else { '-' });
            }
        }
        (out, chain.skipped())
    }

    /// One test per case: `name: events => decoded, skipped;` (see [`play`]).
    macro_rules! chain_cases {
        ($($name:ident: $events:literal => $decoded:literal, $skipped:literal;)*) => {
            $(
                #[test]
                fn $name() {
                    assert_eq!(play($events), ($decoded.into(), $skipped));
                }
            )*
        };
    }

    chain_cases! {
        an_unbroken_stream_is_all_decoded: "A0k A1 A2 A3k A4" => "+++++", 0;
        a_stream_joined_mid_gop_waits_for_a_keyframe: "A5 A6 A7k A8" => "--++", 2;
        // 2 never arrives: 3 and 4 would decode to garbage.
        a_lost_delta_costs_pictures_until_the_next_keyframe: "A0k A1 A3 A4 A5k A6" => "++--++", 2;
        // 2 is late: once 3 was skipped the chain stays broken.
        a_late_delta_after_a_break_is_still_skipped: "A0k A1 A3 A2 A4" => "++---", 3;
        an_old_keyframe_delivered_late_is_skipped_without_breaking_the_chain: "A10k A11 A4k A12" => "++-+", 1;
        a_camera_restart_starts_a_new_chain_at_its_keyframe: "A100k A101 B0k B1 A102" => "++++-", 1;
        a_delta_of_another_stream_breaks_the_chain: "A0k B1 A1 A2k" => "+--+", 2;
        a_decoder_failure_waits_for_a_keyframe: "A0k ! A1 A2k A3" => "+-++", 1;
        the_last_sequence_number_does_not_overflow: "A18446744073709551615k A0" => "+-", 1;
        // =A2: the key-rotation frame between two deltas.
        a_rotation_in_the_middle_of_a_gop_costs_no_picture: "A0k A1 =A2 A3 A4" => "++++", 0;
        // =A2 follows a lost seq 1, so it is not a link; =B1 is another stream.
        a_link_does_not_mend_a_broken_chain_or_jump_a_gap: "A0k =A2 A3 =A4 A5 =B1 A6k A7" => "+--++", 2;
    }

    #[test]
    fn codec_strings_follow_the_bitstream() {
        // Annex B: AUD, then an SPS for High profile (100), level 3.1.
        let h264 = [0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x67, 100, 0, 31, 0xAC];
        assert_eq!(
            webcodecs_codec(Codec::H264, &h264).as_deref(),
            Some("avc1.64001f")
        );
        assert_eq!(
            webcodecs_codec(Codec::H264, &[0, 0, 1, 0x65, 1]).as_deref(),
            Some("avc1.42001f")
        );
        assert_eq!(
            webcodecs_codec(Codec::H264, &[0, 0, 1, 0x67]).as_deref(),
            Some("avc1.42001f")
        );
        assert_eq!(webcodecs_codec(Codec::Vp8, &[]).as_deref(), Some("vp8"));
        assert_eq!(
            webcodecs_codec(Codec::Vp9, &[]).as_deref(),
            Some("vp09.00.10.08")
        );
        assert_eq!(
            webcodecs_codec(Codec::Av1, &[]).as_deref(),
            Some("av01.0.04M.08")
        );
        assert_eq!(webcodecs_codec(Codec::Jpeg, &[]), None);
        assert_eq!(webcodecs_codec(Codec::KeyRotation, &[]), None);
    }
}
