//! Verifying a media unit that carries its seal in-band (SPEC §6.3–6.4): an
//! H.264 / H.265 access unit, an AV1 temporal unit or a JPEG file, as a
//! relay that knows nothing of frameseal passes it on. `inband` splits the
//! unit and derives its canonical content; this file is the policy: check 1
//! in the order §6.3 gives, then checks 2–7 exactly as for a frame, in the
//! same replay window.
//!
//! Order of check 1 for a unit (the first that fails is the drop reason):
//! 1. the unit cannot be split, or a JPEG has no EOI → `malformed`;
//! 2. two or more frameseal seals → `malformed`;
//! 3. a seal body that starts `FSEAL` with a version other than 2 →
//!    `unsupported-version`, whatever its length;
//! 4. a body that is not exactly 148 bytes, a seal codec that is not the
//!    unit's, or a content_len that differs from the derived content →
//!    `malformed` (a keyframe whose parameter sets are nowhere to be found
//!    has no derivable content: `malformed` too);
//! 5. no seal → `unsigned`;
//! 6. content_len above the maximum, or the unit longer than the maximum
//!    plus 64 KiB → `too-large`.
//!
//! Then the seal is authenticated (key id, strict signature over its 84
//! bytes) **before** the content is hashed: a forged or foreign unit costs
//! one split (which finds the seal and measures the content) and one
//! signature check, never a hash. Only then is the content hashed (BLAKE3,
//! streamed from the unit, no copy) and held to the seal; for an H.264 /
//! H.265 unit, from the NAL units the split kept (`inband::survey`), so
//! its bytes are scanned for start codes once.

use super::{AuthenticSeal, DropReason, Refusal, Verifier};
use crate::frame::{FLAG_KEYFRAME, MAGIC, SEAL_LEN, SEAL_VERSION, layout};
use crate::inband::{self, UnitError, UnitFormat};
use crate::memory::OutOfMemory;
use crate::verify::Accepted;

/// How much longer than the maximum content a unit may be: room for what
/// content does not cover (parameter sets, SEI, AUDs, padding).
pub const UNIT_SLACK: usize = 64 * 1024;

impl Verifier {
    /// Counts and returns the drop of a unit longer than the maximum
    /// content plus [`UNIT_SLACK`], judged by its length alone so that a
    /// caller never copies it.
    pub fn drop_unit_too_large(&mut self) -> DropReason {
        self.stats.dropped[DropReason::TooLarge.index()] += 1;
        DropReason::TooLarge
    }

    /// Counts and returns the drop of a container that holds units but
    /// cannot be read (a media segment that does not parse): `malformed`,
    /// once, since how many units it held is not known.
    pub fn drop_unreadable(&mut self) -> DropReason {
        self.stats.dropped[DropReason::Malformed.index()] += 1;
        DropReason::Malformed
    }

    /// Verifies one in-band sealed unit at `now_us` and, if it passes,
    /// updates the state, exactly as [`Verifier::try_verify`] does for a
    /// frame (one replay window for frames and units). `config` is the
    /// decoder configuration record (`avcC` / `hvcC` / `av1C` payload) for
    /// keyframes that carry no parameter sets. The accepted payload is the
    /// whole unit, as given. Running out of memory (parameter sets are
    /// collected to sort them) is an error with nothing counted or changed.
    pub fn try_verify_unit<'a>(
        &mut self,
        unit: &'a [u8],
        format: UnitFormat,
        config: Option<&[u8]>,
        now_us: i64,
    ) -> Result<Result<Accepted<'a>, DropReason>, OutOfMemory> {
        match self.authenticate_unit(unit, format, config) {
            Ok((seal, hash)) => self.try_accept_sealed(&seal, &hash, unit, now_us),
            Err(refusal) => self.counted(Err(refusal)),
        }
    }

    /// Check 1 (module docs), then checks 2 and 3: the authenticated seal
    /// and the BLAKE3 hash of the unit's content. Counts nothing.
    fn authenticate_unit(
        &self,
        unit: &[u8],
        format: UnitFormat,
        config: Option<&[u8]>,
    ) -> Result<(AuthenticSeal, [u8; 32]), Refusal> {
        // One split: the seal, and the NAL units the content is made of.
        let surveyed = inband::survey(unit, format).map_err(unit_refusal)?;
        let Some(body) = surveyed.seal() else {
            return Err(DropReason::Unsigned.into());
        };
        let head = body.head();
        if head.starts_with(&MAGIC)
            && head
                .get(layout::VERSION.start)
                .is_some_and(|&v| v != SEAL_VERSION)
        {
            return Err(DropReason::UnsupportedVersion.into());
        }
        let seal = body.seal().ok_or(DropReason::Malformed)?;
        let codec_byte = seal.get(layout::CODEC.start).copied();
        if codec_byte != Some(format.codec().codec_byte()) {
            return Err(DropReason::Malformed.into());
        }
        let keyframe = seal
            .get(layout::FLAGS.start)
            .is_some_and(|f| f & FLAG_KEYFRAME != 0);
        let content_len = seal
            .get(layout::LENGTH)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or(DropReason::Malformed)?;
        // The content's length first (no hash: the signature comes before).
        let derived = surveyed
            .content(keyframe, config, None)
            .map_err(unit_refusal)?;
        if derived != u64::from(content_len) {
            return Err(DropReason::Malformed.into());
        }
        let max = self.policy.max_payload_bytes;
        if content_len > max || unit.len() > (max as usize).saturating_add(UNIT_SLACK) {
            return Err(DropReason::TooLarge.into());
        }
        // Checks 1 (the seal's own layout rules), 2 and 3.
        let authentic = self.seal_verdict(seal, SEAL_LEN + content_len as usize)?;
        let mut hasher = blake3::Hasher::new();
        surveyed
            .content(
                keyframe,
                config,
                Some(&mut |piece| {
                    hasher.update(piece);
                }),
            )
            .map_err(unit_refusal)?;
        Ok((authentic, hasher.finalize().into()))
    }
}

/// What a unit that cannot be read means for its verdict.
fn unit_refusal(e: UnitError) -> Refusal {
    match e {
        UnitError::OutOfMemory(e) => Refusal::OutOfMemory(e),
        _ => Refusal::Drop(DropReason::Malformed),
    }
}
