//! Validating a signed stream: hashing the NAL units the formats cover,
//! matching them with the signed SEIs, and a verdict per GOP.
//!
//! What is hashed (`lib/src/sv_common.c` / `lib/src/oms_common.c`):
//! - picture NAL units only: H.264 types 1 and 5, H.265 types 0–1 and
//!   16–21 (other slice types, parameter sets, AUDs, other SEIs are not
//!   covered), from the NAL header to the last non-zero byte, with their
//!   emulation prevention bytes;
//! - the first slice of an I-frame is the GOP's anchor: its hash is
//!   `h(I) = SHA-256(nal)`; every other hashed NAL unit of the GOP gets
//!   `SHA-256(h(I) ‖ SHA-256(nal))`;
//! - unsigned Signed Video / Media Signing SEIs are hashed whole, without
//!   the anchor; signed ones are not in any hash list: their signature is
//!   over `SHA-256(document)` ([`SignedVideoSei::hashable`]).
//!
//! A signed SEI vouches for one (partial) GOP: the oldest pending NAL units
//! that precede it, up to the next GOP's anchor (or, for a partial GOP, as
//! many NAL units as its general TLV says). Current signers (ONVIF, Axis
//! with reserved bits 5–4 set) send `SHA-256(h₁ ‖ … ‖ hₙ)` as the GOP hash
//! and the previous GOP's first hash as the linked hash; older Axis signers
//! send the hash list only, ending with the next GOP's I-frame hashed with
//! this GOP's anchor, which is why such a SEI is checked once that I-frame
//! has arrived.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

use super::av1::{self, ObuKind};
use super::sei::{self, SeiError, SignedVideoSei};
use super::tlv::{General, ProductInfo};
use super::trust::{Trust, TrustError};
use super::{Codec, Scheme, der};

/// The DER encoding of the SHA-256 OID, as the crypto info TLV carries it.
const SHA256_OID: [u8; 11] = [
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];

/// The verdict on one GOP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GopVerdict {
    /// Every NAL unit the signer hashed is here, unchanged, in order, and the
    /// signature checks with the stream's key.
    Authentic,
    /// A NAL unit was changed or added, the GOP chain is broken, the
    /// signature does not check, the SEI carries another key than the
    /// stream's first, or the GOP's SEI was lost.
    Tampered,
    /// NAL units are missing; those present are authentic.
    Incomplete,
    /// No Signed Video / Media Signing SEI was ever seen in the stream.
    Unsigned,
    /// The GOP's SEI has not arrived, or the next I-frame has not closed
    /// the GOP yet.
    Pending,
    /// A SEI vouches for the GOP but it cannot be checked here (no key in
    /// the stream, a key or hash algorithm not supported, pictures without
    /// their I-frame and no hash list).
    Unverifiable,
    /// The GOP is signed by a key the validator does not trust: not the
    /// linked key ([`Trust::Key`]), or one without a certificate chain to
    /// the linked CA ([`Trust::Ca`]). Never authentic.
    ForeignKey,
}

impl GopVerdict {
    /// A stable lower-case name, for JSON and JS.
    pub fn name(self) -> &'static str {
        match self {
            GopVerdict::Authentic => "authentic",
            GopVerdict::Tampered => "tampered",
            GopVerdict::Incomplete => "incomplete",
            GopVerdict::Unsigned => "unsigned",
            GopVerdict::Pending => "pending",
            GopVerdict::Unverifiable => "unverifiable",
            GopVerdict::ForeignKey => "foreign-key",
        }
    }
}

/// The report on one GOP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GopReport {
    /// The GOP's index in the stream, from 0.
    pub gop: usize,
    /// The decode-order index (from 0) of the GOP's first picture.
    pub first_frame: u64,
    /// How many pictures the GOP has here.
    pub frames: u64,
    /// The verdict.
    pub verdict: GopVerdict,
    /// Why the verdict is not `authentic`: a stable lower-case reason
    /// (`signature`, `gop-hash`, `linked-hash`, `hash-list`, `missing-units`,
    /// `missing-sei`, `replayed-sei`, `too-long`, `key-changed`, `no-key`,
    /// `unsupported-key`, `unsupported-hash`, `no-hashes`, `no-anchor`,
    /// `foreign-key`).
    pub reason: Option<&'static str>,
    /// The GOP counter of the SEI that vouched for the GOP.
    pub gop_counter: Option<u32>,
    /// How many hashed NAL units (pictures' slices, unsigned SEIs of the
    /// format) the GOP has here.
    pub units: usize,
    /// When the hash list was compared: how many NAL units here match no
    /// listed hash (changed or added).
    pub invalid_units: usize,
    /// When the hash list was compared: how many listed NAL units are not
    /// here.
    pub missing_units: usize,
    /// A verdict per picture of the GOP, in decode order, when the GOP's
    /// hashes were checked one by one against the SEI's hash list (or the
    /// GOP is authentic, so every picture is): at most [`Self::frames`]
    /// entries. Empty otherwise (the signature, the key or the SEI failed:
    /// the GOP's verdict is every picture's). The listed units that never
    /// arrived have no picture here: [`Self::missing_units`] counts them.
    pub frame_verdicts: Vec<FrameReport>,
}

/// The verdict on one picture, where the stream's hash list allows one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameVerdict {
    /// Every hashed unit of the picture (its slices, or its AV1 OBUs) is in
    /// the signed hash list, in order.
    Authentic,
    /// A unit of the picture matches no listed hash after the last match:
    /// it was changed or added.
    Tampered,
}

impl FrameVerdict {
    /// A stable lower-case name, for JSON and JS.
    pub fn name(self) -> &'static str {
        match self {
            FrameVerdict::Authentic => "authentic",
            FrameVerdict::Tampered => "tampered",
        }
    }
}

/// The verdict on one picture of a GOP ([`GopReport::frame_verdicts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameReport {
    /// The picture's decode-order index in the stream, from 0, as
    /// [`GopReport::first_frame`] counts.
    pub frame: u64,
    /// The verdict.
    pub verdict: FrameVerdict,
}

/// What checking a GOP found.
#[derive(Clone, Debug)]
struct Outcome {
    verdict: GopVerdict,
    reason: Option<&'static str>,
    invalid_units: usize,
    missing_units: usize,
    frames: Vec<FrameReport>,
}

impl Outcome {
    fn of(verdict: GopVerdict, reason: Option<&'static str>) -> Outcome {
        Outcome {
            verdict,
            reason,
            invalid_units: 0,
            missing_units: 0,
            frames: Vec::new(),
        }
    }
}

/// The verdict on each picture of `items`: tampered when one of its units
/// is not `matched`. Units that belong to no picture (unsigned SEIs, AV1
/// metadata) and slices before the GOP's first picture count for none.
fn frame_verdicts(items: &[Item], matched: impl Fn(usize) -> bool) -> Vec<FrameReport> {
    let mut frames: Vec<FrameReport> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if item.picture {
            frames.push(FrameReport {
                frame: item.frame,
                verdict: FrameVerdict::Authentic,
            });
        }
        if item.in_picture
            && !matched(i)
            && let Some(last) = frames.last_mut().filter(|f| f.frame == item.frame)
        {
            last.verdict = FrameVerdict::Tampered;
        }
    }
    frames
}

/// One hashed NAL unit waiting for its SEI.
#[derive(Clone, Debug)]
struct Item {
    hash: [u8; 32],
    /// The first slice of an I-frame: a GOP starts here.
    gop_start: bool,
    /// The first slice of a picture: counts a frame.
    picture: bool,
    /// A part of the picture `frame` (a slice, an AV1 picture's OBUs), not
    /// a unit between pictures (an unsigned SEI, other AV1 metadata).
    in_picture: bool,
    /// The decode-order index of the picture it belongs to.
    frame: u64,
    /// The SHA-256 hash of the NAL unit itself: a GOP start's chains it into
    /// the previous GOP's hash list (older Axis signers); an unanchored
    /// item's is hashed with the anchor its SEI lists.
    raw_hash: [u8; 32],
    /// Whether `hash` was made with this GOP's anchor: not so for the
    /// pictures before the first I-frame of a stream joined mid-GOP.
    anchored: bool,
}

/// What a hashed unit is to the GOP.
#[derive(Clone, Copy, Debug)]
enum Unit {
    /// The first unit of an I-frame: the GOP's anchor, a picture.
    Start,
    /// The first unit of another picture.
    Picture,
    /// Another slice of the last picture.
    Slice,
    /// A unit between pictures (AV1 metadata, tile groups without their
    /// frame header, data the format does not take).
    Other,
}

impl Unit {
    /// A whole AV1 picture: a key frame's anchors the GOP.
    fn picture(key: bool) -> Unit {
        if key { Unit::Start } else { Unit::Picture }
    }
}

/// A signed SEI waiting for its GOP.
#[derive(Clone, Debug)]
struct PendingSei {
    /// How many items had arrived before it.
    at: usize,
    general: General,
    hash_list: Option<Vec<u8>>,
    signature: Check,
    linked_method: bool,
}

/// The outcome of checking a SEI's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Valid,
    /// The SEI carries another key than the stream's pinned one.
    KeyChanged,
    /// The SEI is signed by a key the validator does not trust.
    Foreign,
    Invalid,
    Unverifiable(&'static str),
}

/// Validates a stream of NAL units in decode order and reports a verdict
/// per GOP.
///
/// The key is the one the stream carries (public key TLV or the leaf of the
/// certificate chain; ECDSA P-256 or RSA), pinned from the first SEI it
/// signs, unless a [`Trust`] says which key or CA to accept
/// ([`StreamValidator::with_trust`]).
pub struct StreamValidator {
    codec: Codec,
    trust: Trust,
    /// The SubjectPublicKeyInfo (DER) of the key that signs the stream, as
    /// carried: the pinned key's, else the first one a signed SEI carried.
    signer_spki: Option<Vec<u8>>,
    /// Why the stream's key is not trusted ([`Trust::Ca`]), if it is not.
    trust_error: Option<TrustError>,
    /// Every hashed item since the oldest one not yet reported; `base` is
    /// the stream index of `items[0]`.
    items: VecDeque<Item>,
    /// How many of `items` start a GOP.
    starts: usize,
    base: usize,
    seis: VecDeque<PendingSei>,
    anchor: [u8; 32],
    frames: u64,
    gops: usize,
    reports: Vec<GopReport>,
    key: Option<StreamKey>,
    key_problem: Option<&'static str>,
    scheme: Option<Scheme>,
    product_info: Option<ProductInfo>,
    /// The first hash of the last validated GOP (the linked hash).
    previous_first: Option<[u8; 32]>,
    /// The GOP counter of the last SEI matched with a GOP.
    last_counter: Option<u32>,
    /// Whether an anchor (I-frame) has been seen.
    anchored: bool,
    /// Whether SEIs and GOPs are known to line up: after the first accepted
    /// validation, or a SEI from the start of signing. Until then a SEI
    /// whose hashes fail is taken for one of a GOP before the stream was
    /// joined and dropped once (`is_first_validation` in
    /// `oms_validator.c`).
    in_sync: bool,
    signed_seis: usize,
    /// AV1: the picture of a frame header OBU, open for its tile groups.
    open_picture: Option<OpenPicture>,
}

/// An AV1 frame header OBU's picture, hashed over it and the tile group
/// OBUs that follow.
struct OpenPicture {
    hasher: Sha256,
    key: bool,
    frame: u64,
}

/// In a stream without any SEI, GOPs are reported `unsigned` once this many
/// later GOPs have closed (the references wait for two,
/// `NUM_UNSIGNED_GOPS_BEFORE_VALIDATION` in `oms_validator.c`).
const UNSIGNED_GOPS_BEFORE_VERDICT: usize = 2;

/// In a signed stream, a closed GOP whose SEI has not come while this many
/// later GOPs closed is reported without it (`missing-sei`): a stream whose
/// SEIs stop cannot make the validator hold pictures without bound.
const MAX_WAITING_GOPS: usize = 8;

/// The most hashed NAL units held: a SEI counts at most 65 535 NAL units
/// (a u16), so a GOP longer than that cannot be vouched for, and a stream
/// without I-frames cannot make the validator grow without bound.
const MAX_PENDING_UNITS: usize = 65_536;

/// The most signed SEIs waiting for their GOP; an older one is dropped (it
/// vouches for no GOP here), so SEIs without pictures cannot pile up.
const MAX_WAITING_SEIS: usize = 16;

impl StreamValidator {
    /// A validator for a stream of `codec` that trusts the key the stream
    /// carries ([`Trust::InStream`]).
    pub fn new(codec: Codec) -> StreamValidator {
        StreamValidator::with_trust(codec, Trust::InStream)
    }

    /// A validator for a stream of `codec` that accepts only GOPs signed by
    /// the key or CA `trust` names; GOPs signed by any other key are
    /// [`GopVerdict::ForeignKey`].
    pub fn with_trust(codec: Codec, trust: Trust) -> StreamValidator {
        let key = match &trust {
            Trust::Key(k) => Some(k.key.clone()),
            _ => None,
        };
        StreamValidator {
            codec,
            trust,
            signer_spki: None,
            trust_error: None,
            items: VecDeque::new(),
            starts: 0,
            base: 0,
            seis: VecDeque::new(),
            anchor: [0; 32],
            frames: 0,
            gops: 0,
            reports: Vec::new(),
            key,
            key_problem: None,
            scheme: None,
            product_info: None,
            previous_first: None,
            last_counter: None,
            anchored: false,
            in_sync: false,
            signed_seis: 0,
            open_picture: None,
        }
    }

    /// The scheme of the SEIs seen so far, if any.
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    /// The product info of the latest SEI that carried one.
    pub fn product_info(&self) -> Option<&ProductInfo> {
        self.product_info.as_ref()
    }

    /// What this validator trusts.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The SubjectPublicKeyInfo (DER) of the key that signs the stream, as
    /// the stream carries it (see [`super::trust::spki_fingerprint`]): the
    /// key the GOPs were checked with, or, when it was not trusted, the
    /// first one a signed SEI carried.
    pub fn signer_spki(&self) -> Option<&[u8]> {
        self.signer_spki.as_deref()
    }

    /// Why the stream's key is not trusted, with [`Trust::Ca`]: a chain that
    /// does not lead to the CA (its GOPs are `foreign-key`), or one that
    /// does but is expired at the verification time
    /// ([`TrustError::is_expired`]; the GOPs keep their verdicts).
    pub fn trust_error(&self) -> Option<&TrustError> {
        self.trust_error.as_ref()
    }

    /// How many signed SEIs have been seen.
    pub fn signed_seis(&self) -> usize {
        self.signed_seis
    }

    /// How many pictures (first slices of a hashed picture) have been
    /// pushed: the next picture's decode-order index, as
    /// [`GopReport::first_frame`] counts. A display gate maps its access
    /// units to the GOP reports with it.
    pub fn pictures(&self) -> u64 {
        self.frames
    }

    /// The GOPs that have a verdict so far (and were not taken with
    /// [`Self::take_reports`]).
    pub fn reports(&self) -> &[GopReport] {
        &self.reports
    }

    /// Takes the reports out: a live stream's validator then holds only
    /// the reports not yet taken, not one per GOP (with its per-picture
    /// verdicts) since the stream began.
    pub fn take_reports(&mut self) -> Vec<GopReport> {
        core::mem::take(&mut self.reports)
    }

    /// Takes the next NAL unit (without start code, trailing zero bytes
    /// allowed); for [`Codec::Av1`], the next OBU (header, size field and
    /// payload, exactly). A Signed Video / Media Signing SEI (or metadata
    /// OBU) that does not parse is an error and changes nothing.
    pub fn push_nal(&mut self, nal: &[u8]) -> Result<(), SeiError> {
        if self.codec == Codec::Av1 {
            return self.push_obu(nal);
        }
        let end = nal.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        let nal = &nal[..end];
        if let Some(sei) = sei::parse_nal(nal, self.codec)? {
            self.take_sei(sei);
            return Ok(());
        }
        let Some((is_i, primary)) = picture_kind(nal, self.codec) else {
            return Ok(());
        };
        if primary {
            self.frames += 1;
        }
        let frame = self.frames.saturating_sub(1);
        let kind = match (is_i, primary) {
            (true, true) => Unit::Start,
            (false, true) => Unit::Picture,
            (_, false) => Unit::Slice,
        };
        self.push_hashed(Sha256::digest(nal).into(), kind, frame);
        Ok(())
    }

    /// Takes the next OBU of an AV1 stream ([`av1`] says what is hashed).
    /// A frame header's picture is hashed over it and the tile group OBUs
    /// after it: it is counted as a picture at once, and hashed when
    /// another OBU than a tile group comes (or at [`Self::finish`]).
    fn push_obu(&mut self, obu: &[u8]) -> Result<(), SeiError> {
        let kind = av1::kind(obu);
        // Hashed up to the last non-zero byte, as the reference does.
        let end = obu.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        let bytes = &obu[..end];
        if kind == ObuKind::Metadata
            && let Some(sei) = sei::parse_obu(obu)?
        {
            self.close_picture();
            self.take_sei(sei);
            return Ok(());
        }
        if kind == ObuKind::TileGroup
            && let Some(open) = self.open_picture.as_mut()
        {
            open.hasher.update(bytes);
            return Ok(());
        }
        self.close_picture();
        let frame = self.frames;
        match kind {
            ObuKind::Ignored => {}
            ObuKind::Frame { key } => {
                self.frames += 1;
                self.push_hashed(Sha256::digest(bytes).into(), Unit::picture(key), frame);
            }
            ObuKind::FrameHeader { key } => {
                self.frames += 1;
                let mut hasher = Sha256::new();
                hasher.update(bytes);
                self.open_picture = Some(OpenPicture { hasher, key, frame });
            }
            // Another metadata OBU, a tile group without its frame header,
            // picture data the format does not take: hashed with the
            // anchor, not a picture.
            ObuKind::Metadata | ObuKind::TileGroup | ObuKind::Uncovered => {
                let frame = self.frames.saturating_sub(1);
                self.push_hashed(Sha256::digest(bytes).into(), Unit::Other, frame);
            }
        }
        Ok(())
    }

    /// Hashes the open frame header's picture (AV1) into the GOP.
    fn close_picture(&mut self) {
        if let Some(open) = self.open_picture.take() {
            let raw: [u8; 32] = open.hasher.finalize().into();
            self.push_hashed(raw, Unit::picture(open.key), open.frame);
        }
    }

    /// Adds one hashed unit: `raw_hash` is the SHA-256 hash of its bytes;
    /// `kind` says whether it is the GOP's anchor, starts the picture
    /// `frame` (counts it), is another part of it, or none.
    fn push_hashed(&mut self, raw_hash: [u8; 32], kind: Unit, frame: u64) {
        let (gop_start, picture, in_picture) = match kind {
            Unit::Start => (true, true, true),
            Unit::Picture => (false, true, true),
            Unit::Slice => (false, false, true),
            Unit::Other => (false, false, false),
        };
        if gop_start {
            self.anchor = raw_hash;
            self.anchored = true;
        }
        let hash = if gop_start {
            raw_hash
        } else {
            self.linked(&raw_hash)
        };
        self.starts += usize::from(gop_start);
        self.items.push_back(Item {
            hash,
            gop_start,
            picture,
            in_picture,
            frame,
            raw_hash,
            anchored: self.anchored,
        });
        self.validate_ready(false);
        self.release_stale();
    }

    /// Ends the stream: a current SEI that came after the last NAL units
    /// checks them, the GOPs left are `pending` (their SEI has not arrived,
    /// or an older Axis SEI waits for the next I-frame), or `unsigned` in a
    /// stream without any SEI. Returns every GOP's report not taken with
    /// [`Self::take_reports`].
    pub fn finish(mut self) -> Vec<GopReport> {
        self.close_picture();
        self.validate_ready(true);
        let verdict = if self.scheme.is_some() {
            GopVerdict::Pending
        } else {
            GopVerdict::Unsigned
        };
        while !self.items.is_empty() {
            let n = self.gop_len(self.items.len(), None);
            self.release_front(n, verdict, None);
        }
        self.reports
    }

    fn linked(&self, raw_hash: &[u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.anchor);
        h.update(raw_hash);
        h.finalize().into()
    }

    fn take_sei(&mut self, sei: SignedVideoSei) {
        self.scheme = Some(sei.scheme);
        if let Some(info) = &sei.payload.product_info {
            self.product_info = Some(info.clone());
        }
        let carried = carried_key(&sei);
        let key_changed = match (&carried, &self.key) {
            (Some(Some(key)), Some(pinned)) => key != pinned,
            (Some(None), Some(_)) => true,
            _ => false,
        };
        let spki = carried_spki(&sei);
        if !sei.is_signed() {
            // An unsigned SEI is itself hashed into the GOP, without anchor.
            let hash: [u8; 32] = Sha256::digest(sei.hashable()).into();
            self.items.push_back(Item {
                hash,
                gop_start: false,
                picture: false,
                in_picture: false,
                frame: self.frames.saturating_sub(1),
                raw_hash: hash,
                anchored: true,
            });
            return;
        }
        self.signed_seis += 1;
        if self.signer_spki.is_none() {
            self.signer_spki.clone_from(&spki);
        }
        let signature = if key_changed {
            if matches!(self.trust, Trust::Key(_)) {
                Check::Foreign
            } else {
                Check::KeyChanged
            }
        } else {
            if self.key.is_none() && matches!(carried, Some(None)) {
                self.key_problem = Some("unsupported-key");
            }
            let key = self
                .key
                .as_ref()
                .or(carried.as_ref().and_then(Option::as_ref));
            let check = check_signature(&sei, key, self.key_problem);
            // The first key is pinned only from a SEI that it signed, so
            // that a forged first SEI cannot lock the genuine key out.
            if self.key.is_none() {
                match carried {
                    Some(Some(key)) if check == Check::Valid => self.pin(key, spki, &sei),
                    _ => check,
                }
            } else {
                check
            }
        };
        let linked_method = sei.uses_linked_hash();
        let Some(general) = sei.payload.general else {
            // A certificate SEI: it vouches for no GOP.
            return;
        };
        self.seis.push_back(PendingSei {
            at: self.base + self.items.len(),
            general,
            hash_list: sei.payload.hash_list,
            signature,
            linked_method,
        });
        if self.seis.len() > MAX_WAITING_SEIS {
            self.seis.pop_front();
        }
        self.validate_ready(false);
    }

    /// Pins `key`, which signed `sei`, as the stream's key, if the trust
    /// allows: with a CA, only a key whose chain leads to it; with Axis
    /// attestation, only a key the Axis vendor TLV attests (an expired chain
    /// too, with the trust error kept); another key's SEI is
    /// [`Check::Foreign`] and pins nothing.
    fn pin(&mut self, key: StreamKey, spki: Option<Vec<u8>>, sei: &SignedVideoSei) -> Check {
        let certificates = sei.payload.certificates.as_ref();
        let chain = certificates.map(|c| c.pem.as_slice());
        let checked = match &self.trust {
            Trust::Ca(ca) => Some(ca.check(&key, chain)),
            Trust::Axis(axis) => {
                let attestation = certificates.map_or(&[][..], |c| c.attestation.as_slice());
                Some(axis.check(&key, spki.as_deref(), chain, attestation))
            }
            Trust::InStream | Trust::Key(_) => None,
        };
        if let Some(checked) = checked {
            match checked {
                Ok(()) => {}
                Err(e) if e.is_expired() => self.trust_error = Some(e),
                Err(e) => {
                    self.trust_error = Some(e);
                    return Check::Foreign;
                }
            }
        }
        self.key = Some(key);
        self.key_problem = None;
        if spki.is_some() {
            self.signer_spki = spki;
        }
        Check::Valid
    }

    /// How many of the first `limit` items form the oldest GOP: up to the
    /// second GOP start, or `cap` items for a partial GOP.
    fn gop_len(&self, limit: usize, cap: Option<usize>) -> usize {
        let mut n = 0;
        for (i, item) in self.items.iter().take(limit).enumerate() {
            if item.gop_start && i > 0 {
                break;
            }
            if cap.is_some_and(|c| n >= c) {
                break;
            }
            n += 1;
        }
        n
    }

    /// Checks the waiting SEIs whose GOP is complete.
    ///
    /// A GOP is checked once it is closed: the next GOP's anchor has
    /// arrived, or, for a partial GOP, as many NAL units as its SEI counted.
    /// When the stream has `ended`, a current SEI also closes the NAL units
    /// before it: the signers send one when signing stops, and the reference
    /// validators check the last GOP with it (they validate upon a SEI,
    /// `has_pending_partial_gop`). An older Axis SEI lists the next I-frame,
    /// so its GOP stays pending without one.
    fn validate_ready(&mut self, ended: bool) {
        while let Some(sei) = self.seis.front() {
            let listed = sei.hash_list.as_ref().map_or(0, |l| l.len() / 32);
            if !sei.linked_method && listed <= 1 && sei.general.hashed_units <= 1 {
                // An older Axis signer's first SEI: it vouches for the empty
                // GOP before signing started (its list holds only the first
                // I-frame), which no picture belongs to.
                self.last_counter = Some(sei.general.gop_counter);
                self.in_sync = true;
                self.seis.pop_front();
                continue;
            }
            // SEIs lost in between (the GOP counter jumped): their closed
            // GOPs are reported without them, so that this SEI meets its own
            // GOP, as `num_lost_seis` in `oms_validator.c` does.
            let counter = sei.general.gop_counter;
            let lost = self.last_counter.map_or(0, |last| {
                let gap = counter.wrapping_sub(last);
                if gap > 1 && gap < 1 << 31 { gap - 1 } else { 0 }
            });
            let at = sei.at;
            let linked_method = sei.linked_method;
            for _ in 0..lost {
                let before = if linked_method {
                    at.saturating_sub(self.base).min(self.items.len())
                } else {
                    self.items.len()
                };
                let n = self.gop_len(before, None);
                // Only a GOP followed by another one before the SEI.
                if n == 0 || n >= before {
                    break;
                }
                self.release_front(n, GopVerdict::Tampered, Some("missing-sei"));
            }
            let Some(sei) = self.seis.front() else {
                return;
            };
            // A current SEI covers NAL units that precede it; an older Axis
            // SEI may come before its GOP's closing I-frame.
            let before = if sei.linked_method {
                sei.at.saturating_sub(self.base).min(self.items.len())
            } else {
                self.items.len()
            };
            let cap = sei
                .general
                .triggered_partial_gop
                .then_some(usize::from(sei.general.hashed_units));
            let n = self.gop_len(before, cap);
            if n == 0 {
                // A SEI that vouches for nothing here (sent before any
                // picture, or its GOP was already reported).
                self.seis.pop_front();
                continue;
            }
            if sei.linked_method
                && cap.is_none()
                && n == before
                && self.items.get(n).is_some_and(|i| !i.gop_start)
            {
                // The GOP goes on after the SEI, so the SEI is for an earlier
                // GOP that is not here (before the stream was joined).
                self.seis.pop_front();
                continue;
            }
            let closing = self.items.get(n).filter(|i| i.gop_start);
            let closed = closing.is_some()
                || cap.is_some_and(|c| n >= c)
                || (ended && sei.linked_method && n == before);
            if !closed {
                return;
            }
            let next_start = closing.map(|i| i.raw_hash);
            let Some(sei) = self.seis.pop_front() else {
                return;
            };
            let items: Vec<Item> = self.items.range(..n).cloned().collect();
            let (mut outcome, first) = self.judge(&sei, &items, next_start);
            let went_back = self.last_counter.is_some_and(|last| {
                let gap = sei.general.gop_counter.wrapping_sub(last);
                gap == 0 || gap >= 1 << 31
            });
            if went_back {
                // A SEI older than the last one: a replay (`num_lost_seis <
                // 0`, "found an old SEI", in `oms_validator.c`).
                outcome = Outcome::of(GopVerdict::Tampered, Some("replayed-sei"));
            }
            let (verdict, reason) = (outcome.verdict, outcome.reason);
            let start_of_signing = sei
                .general
                .linked_hash
                .as_ref()
                .is_some_and(|h| h.iter().all(|&b| b == 0));
            let hashes_failed = matches!(reason, Some("gop-hash" | "hash-list" | "linked-hash"));
            if !self.in_sync
                && !start_of_signing
                && verdict == GopVerdict::Tampered
                && hashes_failed
            {
                // Out of sync: try the next SEI on these NAL units.
                self.in_sync = true;
                continue;
            }
            self.in_sync = true;
            self.drain_front(n);
            self.previous_first = first;
            if !went_back {
                self.last_counter = Some(sei.general.gop_counter);
            }
            self.report(&items, outcome, Some(sei.general.gop_counter));
        }
    }

    /// Reports the first `n` items as one GOP with `verdict`, without a SEI.
    fn release_front(&mut self, n: usize, verdict: GopVerdict, reason: Option<&'static str>) {
        let taken = self.drain_front(n);
        self.previous_first = taken.first().filter(|i| i.anchored).map(|i| i.hash);
        self.report(&taken, Outcome::of(verdict, reason), None);
    }

    /// Takes the first `n` items out.
    fn drain_front(&mut self, n: usize) -> Vec<Item> {
        let taken: Vec<Item> = self.items.drain(..n).collect();
        self.base += n;
        self.starts -= taken.iter().filter(|i| i.gop_start).count();
        taken
    }

    /// How many GOPs among the items are closed (another GOP starts after
    /// them).
    fn closed_gops(&self) -> usize {
        let first = self.items.front().is_some_and(|i| i.gop_start);
        self.starts - usize::from(first)
    }

    /// Reports the oldest GOPs that waited too long: `unsigned` in a stream
    /// without any SEI, `missing-sei` in a signed one.
    fn release_stale(&mut self) {
        let (limit, verdict, reason) = match self.scheme {
            None => (UNSIGNED_GOPS_BEFORE_VERDICT, GopVerdict::Unsigned, None),
            Some(_) => (MAX_WAITING_GOPS, GopVerdict::Tampered, Some("missing-sei")),
        };
        while self.closed_gops() > limit {
            let n = self.gop_len(self.items.len(), None);
            self.release_front(n, verdict, reason);
        }
        if self.items.len() > MAX_PENDING_UNITS {
            let n = self.gop_len(self.items.len(), None);
            self.release_front(n, GopVerdict::Tampered, Some("too-long"));
        }
    }

    /// The verdict on `items` as `sei` vouches for them, and the GOP's first
    /// hash (the next GOP's linked hash), when known.
    fn judge(
        &self,
        sei: &PendingSei,
        items: &[Item],
        next_start: Option<[u8; 32]>,
    ) -> (Outcome, Option<[u8; 32]>) {
        // A stream joined mid-GOP has pictures without their anchor: the
        // hash list's first hash is the anchor's (the I-frame's) hash.
        let listed_anchor: Option<[u8; 32]> = sei
            .hash_list
            .as_ref()
            .and_then(|l| l.get(..32))
            .and_then(|a| a.try_into().ok());
        let unanchored = items.first().is_some_and(|i| !i.anchored);
        let first = if unanchored {
            listed_anchor
        } else {
            items.first().map(|i| i.hash)
        };
        let outcome = match sei.signature {
            Check::Valid if unanchored && listed_anchor.is_none() => {
                Outcome::of(GopVerdict::Unverifiable, Some("no-anchor"))
            }
            Check::Valid => self.judge_hashes(sei, items, next_start, listed_anchor),
            Check::Invalid => Outcome::of(GopVerdict::Tampered, Some("signature")),
            Check::Unverifiable(why) => Outcome::of(GopVerdict::Unverifiable, Some(why)),
            Check::KeyChanged => Outcome::of(GopVerdict::Tampered, Some("key-changed")),
            Check::Foreign => Outcome::of(GopVerdict::ForeignKey, Some("foreign-key")),
        };
        (outcome, first)
    }

    fn judge_hashes(
        &self,
        sei: &PendingSei,
        items: &[Item],
        next_start: Option<[u8; 32]>,
        listed_anchor: Option<[u8; 32]>,
    ) -> Outcome {
        let with_anchor = |anchor: &[u8; 32], raw: &[u8; 32]| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update(anchor);
            h.update(raw);
            h.finalize().into()
        };
        let mut computed: Vec<[u8; 32]> = items
            .iter()
            .map(|i| match (i.anchored, &listed_anchor) {
                (false, Some(anchor)) => with_anchor(anchor, &i.raw_hash),
                _ => i.hash,
            })
            .collect();
        if !sei.linked_method
            && let (Some(next), Some(first)) = (next_start, items.first())
        {
            let anchor = match (first.gop_start, first.anchored, &listed_anchor) {
                (true, _, _) => first.hash,
                (false, false, Some(a)) => *a,
                _ => [0; 32],
            };
            computed.push(with_anchor(&anchor, &next));
        }
        if sei.linked_method {
            if let (Some(received), Some(previous)) =
                (&sei.general.linked_hash, &self.previous_first)
            {
                let empty = received.iter().all(|&b| b == 0);
                if !empty && received.as_slice() != previous.as_slice() {
                    return Outcome::of(GopVerdict::Tampered, Some("linked-hash"));
                }
            }
            if let Some(received) = &sei.general.gop_hash {
                let mut h = Sha256::new();
                for hash in &computed {
                    h.update(hash);
                }
                let gop_hash: [u8; 32] = h.finalize().into();
                if received.as_slice() == gop_hash.as_slice()
                    && usize::from(sei.general.hashed_units) == computed.len()
                {
                    return Outcome {
                        frames: frame_verdicts(items, |_| true),
                        ..Outcome::of(GopVerdict::Authentic, None)
                    };
                }
            }
        }
        let Some(list) = &sei.hash_list else {
            return if sei.linked_method {
                Outcome::of(GopVerdict::Tampered, Some("gop-hash"))
            } else {
                Outcome::of(GopVerdict::Unverifiable, Some("no-hashes"))
            };
        };
        if !list.len().is_multiple_of(32) {
            return Outcome::of(GopVerdict::Tampered, Some("hash-list"));
        }
        let expected: Vec<&[u8]> = list.chunks_exact(32).collect();
        // Each computed hash is looked for after the last match, as the
        // reference validators do (`verify_indiviual_hashes`): a hash not
        // found is a changed or added NAL unit; expected hashes skipped over
        // are missing ones, less the changed units that stood in their place.
        let mut next = 0usize;
        let mut invalid = 0usize;
        let mut invalid_since_match = 0usize;
        let mut missing = 0usize;
        // Whether each item's hash was found (the reference's '.' and 'N'
        // per unit); a closing I-frame past the items is not this GOP's.
        let mut matched = Vec::with_capacity(items.len());
        for hash in &computed {
            let found = expected[next..].iter().position(|e| *e == hash.as_slice());
            if matched.len() < items.len() {
                matched.push(found.is_some());
            }
            match found {
                Some(p) => {
                    missing += p.saturating_sub(invalid_since_match);
                    invalid_since_match = 0;
                    next += p + 1;
                }
                None => {
                    invalid += 1;
                    invalid_since_match += 1;
                }
            }
        }
        missing += (expected.len() - next).saturating_sub(invalid_since_match);
        let (verdict, reason) = if invalid > 0 {
            (GopVerdict::Tampered, Some("hash-list"))
        } else if missing > 0 {
            (GopVerdict::Incomplete, Some("missing-units"))
        } else {
            (GopVerdict::Authentic, None)
        };
        Outcome {
            verdict,
            reason,
            invalid_units: invalid,
            missing_units: missing,
            frames: frame_verdicts(items, |i| matched.get(i).copied().unwrap_or(true)),
        }
    }

    fn report(&mut self, items: &[Item], outcome: Outcome, gop_counter: Option<u32>) {
        let frames = items.iter().filter(|i| i.picture).count() as u64;
        let first_frame = items
            .iter()
            .find(|i| i.picture)
            .or(items.first())
            .map_or(0, |i| i.frame);
        self.reports.push(GopReport {
            gop: self.gops,
            first_frame,
            frames,
            verdict: outcome.verdict,
            reason: outcome.reason,
            gop_counter,
            units: items.len(),
            invalid_units: outcome.invalid_units,
            missing_units: outcome.missing_units,
            frame_verdicts: outcome.frames,
        });
        self.gops += 1;
    }
}

/// The key a SEI carries, if any: `Some(None)` when it carries one this
/// validator cannot use.
///
/// The first key of a stream is pinned: a SEI carrying another one makes
/// its GOP `key-changed`, never authentic, so that GOPs signed by another
/// device cannot be spliced into the stream (the references flag a change
/// too, `public_key_has_changed`).
fn carried_key(sei: &SignedVideoSei) -> Option<Option<StreamKey>> {
    if let Some(pem) = &sei.payload.public_key_pem {
        let text = core::str::from_utf8(pem).unwrap_or("");
        Some(StreamKey::from_spki_pem(text.trim_end_matches('\0')))
    } else {
        sei.payload
            .certificates
            .as_ref()
            .map(|chain| leaf_key(&chain.pem))
    }
}

/// The SubjectPublicKeyInfo (DER) of the key a SEI carries, as carried.
fn carried_spki(sei: &SignedVideoSei) -> Option<Vec<u8>> {
    if let Some(pem) = &sei.payload.public_key_pem {
        let text = core::str::from_utf8(pem).ok()?;
        let (_, der) =
            p256::pkcs8::der::pem::decode_vec(text.trim_end_matches('\0').as_bytes()).ok()?;
        Some(der)
    } else {
        let pem = &sei.payload.certificates.as_ref()?.pem;
        const END: &[u8] = b"-----END CERTIFICATE-----";
        let end = pem.windows(END.len()).position(|w| w == END)? + END.len();
        let (_, cert) = p256::pkcs8::der::pem::decode_vec(&pem[..end]).ok()?;
        der::spki_of_certificate(&cert).map(<[u8]>::to_vec)
    }
}

/// Checks a signed SEI's signature with `key`.
fn check_signature(
    sei: &SignedVideoSei,
    key: Option<&StreamKey>,
    key_problem: Option<&'static str>,
) -> Check {
    if let Some(info) = &sei.payload.crypto_info
        && info.hash_algorithm_oid != SHA256_OID
    {
        return Check::Unverifiable("unsupported-hash");
    }
    let Some(key) = key else {
        return Check::Unverifiable(key_problem.unwrap_or("no-key"));
    };
    let Some(tlv) = &sei.payload.signature else {
        return Check::Invalid;
    };
    let digest = Sha256::digest(sei.hashable());
    if key.verify_prehash(&digest, &tlv.signature) {
        Check::Valid
    } else {
        Check::Invalid
    }
}

/// A public key that verifies SEI signatures: ECDSA P-256 (DER signature
/// over the SHA-256 digest) or RSA (PKCS #1 v1.5 with SHA-256), as the
/// reference signers make them (`lib/src/sv_openssl.c`: `EVP_PKEY_sign`
/// on the digest, RSA with `RSA_PKCS1_PADDING` and SHA-256).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum StreamKey {
    P256(p256::ecdsa::VerifyingKey),
    Rsa(rsa::PublicKey),
}

impl StreamKey {
    pub(super) fn from_spki_der(der: &[u8]) -> Option<StreamKey> {
        if let Ok(key) = p256::PublicKey::from_public_key_der(der) {
            return Some(StreamKey::P256(key.into()));
        }
        rsa::PublicKey::from_public_key_der(der)
            .ok()
            .map(StreamKey::Rsa)
    }

    fn from_spki_pem(pem: &str) -> Option<StreamKey> {
        let (label, der) = p256::pkcs8::der::pem::decode_vec(pem.as_bytes()).ok()?;
        if label != "PUBLIC KEY" {
            return None;
        }
        StreamKey::from_spki_der(&der)
    }

    pub(super) fn verify_prehash(&self, digest: &[u8], signature: &[u8]) -> bool {
        match self {
            StreamKey::P256(key) => p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|s| key.verify_prehash(digest, &s).is_ok()),
            StreamKey::Rsa(key) => {
                let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key.clone());
                rsa::pkcs1v15::Signature::try_from(signature)
                    .is_ok_and(|s| key.verify_prehash(digest, &s).is_ok())
            }
        }
    }
}

/// The public key of the first certificate of a PEM chain.
fn leaf_key(pem: &[u8]) -> Option<StreamKey> {
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let end = pem.windows(END.len()).position(|w| w == END)? + END.len();
    let (_, der) = p256::pkcs8::der::pem::decode_vec(&pem[..end]).ok()?;
    StreamKey::from_spki_der(der::spki_of_certificate(&der)?)
}

/// Whether `nal` is a picture NAL unit the formats hash, and if so whether
/// it is an I slice and the first slice of its picture.
fn picture_kind(nal: &[u8], codec: Codec) -> Option<(bool, bool)> {
    let header = codec.header_len();
    let first_payload = *nal.get(header)?;
    let primary = first_payload & 0x80 != 0;
    match codec {
        Codec::H264 => match nal[0] & 0x1f {
            1 => Some((false, primary)),
            5 => Some((true, primary)),
            _ => None,
        },
        Codec::H265 => match (nal[0] >> 1) & 0x3f {
            0 | 1 => Some((false, primary)),
            16..=21 => Some((true, primary)),
            _ => None,
        },
        // OBUs are sorted by `av1::kind` (`push_obu`).
        Codec::Av1 => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I: &[u8] = &[0x65, 0x88, 0x84, 0x21];
    const P: &[u8] = &[0x41, 0x9a, 0x02, 0x10];

    #[test]
    fn gops_of_a_stream_without_seis_are_reported_unsigned_two_gops_late() {
        let mut v = StreamValidator::new(Codec::H264);
        for _ in 0..3 {
            v.push_nal(I).expect("not a SEI");
            v.push_nal(P).expect("not a SEI");
        }
        assert!(v.reports().is_empty(), "two closed GOPs wait");
        v.push_nal(I).expect("not a SEI");
        let reports = v.reports();
        assert_eq!(reports.len(), 1);
        assert_eq!(
            (reports[0].verdict, reports[0].frames),
            (GopVerdict::Unsigned, 2)
        );
        let all = v.finish();
        assert_eq!(all.len(), 4);
        assert!(all.iter().all(|r| r.verdict == GopVerdict::Unsigned));
    }

    #[test]
    fn reports_taken_out_are_not_kept_nor_returned_again() {
        let mut v = StreamValidator::new(Codec::H264);
        for _ in 0..4 {
            v.push_nal(I).expect("not a SEI");
            v.push_nal(P).expect("not a SEI");
        }
        let taken = v.take_reports();
        assert_eq!(taken.iter().map(|r| r.gop).collect::<Vec<_>>(), [0]);
        assert!(v.reports().is_empty());
        let rest = v.finish();
        assert_eq!(rest.iter().map(|r| r.gop).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn a_gop_longer_than_any_sei_can_count_is_released_as_too_long() {
        let mut v = StreamValidator::new(Codec::H264);
        v.push_nal(I).expect("not a SEI");
        for _ in 0..MAX_PENDING_UNITS {
            v.push_nal(P).expect("not a SEI");
        }
        let reports = v.reports();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].reason, Some("too-long"));
        assert_eq!(reports[0].frames, MAX_PENDING_UNITS as u64 + 1);
    }

    fn sha(parts: &[&[u8]]) -> [u8; 32] {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }

    #[test]
    fn an_av1_frame_header_is_hashed_with_its_tile_groups_as_one_picture() {
        const TD: &[u8] = &[0x12, 0x00];
        const SH: &[u8] = &[0x0a, 0x01, 0x00];
        const FH_KEY: &[u8] = &[0x1a, 0x01, 0x10];
        const FH_INTER: &[u8] = &[0x1a, 0x01, 0x30];
        const TG1: &[u8] = &[0x22, 0x02, 0x01, 0x02];
        // Trailing zero bytes are not hashed.
        const TG2: &[u8] = &[0x22, 0x03, 0x03, 0x00, 0x00];
        const FRAME: &[u8] = &[0x32, 0x02, 0x30, 0x07];
        const META: &[u8] = &[0x2a, 0x02, 0x04, 0x80];
        let mut v = StreamValidator::new(Codec::Av1);
        for obu in [TD, SH, FH_KEY, TG1, TG2] {
            v.push_nal(obu).expect("not ours");
        }
        // Counted at once, hashed when another OBU comes.
        assert_eq!((v.pictures(), v.items.len()), (1, 0));
        for obu in [TD, FH_INTER, TG1, TD, FRAME, META] {
            v.push_nal(obu).expect("not ours");
        }
        assert_eq!(v.pictures(), 3);
        let anchor = sha(&[FH_KEY, TG1, &TG2[..3]]);
        let with_anchor = |raw: [u8; 32]| sha(&[&anchor, &raw]);
        let hashes: Vec<_> = v.items.iter().map(|i| i.hash).collect();
        assert_eq!(
            hashes,
            [
                anchor,
                with_anchor(sha(&[FH_INTER, TG1])),
                with_anchor(sha(&[FRAME])),
                // Another metadata OBU: hashed, not a picture.
                with_anchor(sha(&[META])),
            ]
        );
        let starts: Vec<_> = v.items.iter().map(|i| (i.gop_start, i.picture)).collect();
        assert_eq!(
            starts,
            [(true, true), (false, true), (false, true), (false, false)]
        );
        // A frame header left open is hashed at the end.
        v.push_nal(FH_INTER).expect("not ours");
        let reports = v.finish();
        assert_eq!(reports.len(), 1);
        assert_eq!((reports[0].frames, reports[0].units), (4, 5));
    }

    #[test]
    fn a_picture_is_tampered_when_any_of_its_slices_is_and_other_units_count_for_none() {
        let item = |kind: Unit, frame: u64| {
            let (gop_start, picture, in_picture) = match kind {
                Unit::Start => (true, true, true),
                Unit::Picture => (false, true, true),
                Unit::Slice => (false, false, true),
                Unit::Other => (false, false, false),
            };
            Item {
                hash: [0; 32],
                gop_start,
                picture,
                in_picture,
                frame,
                raw_hash: [0; 32],
                anchored: true,
            }
        };
        let items = [
            item(Unit::Start, 7),
            item(Unit::Slice, 7),
            item(Unit::Other, 7),
            item(Unit::Picture, 8),
            item(Unit::Slice, 8),
            item(Unit::Picture, 9),
        ];
        // Picture 8's second slice and the unit between 7 and 8 fail.
        let failed = [2, 4];
        let frames = frame_verdicts(&items, |i| !failed.contains(&i));
        let got: Vec<_> = frames.iter().map(|f| (f.frame, f.verdict)).collect();
        assert_eq!(
            got,
            [
                (7, FrameVerdict::Authentic),
                (8, FrameVerdict::Tampered),
                (9, FrameVerdict::Authentic)
            ]
        );
        // A slice before the GOP's first picture counts for none.
        let frames = frame_verdicts(&[item(Unit::Slice, 3), item(Unit::Start, 4)], |_| false);
        let got: Vec<_> = frames.iter().map(|f| (f.frame, f.verdict)).collect();
        assert_eq!(got, [(4, FrameVerdict::Tampered)]);
    }

    #[test]
    fn picture_kinds_follow_the_reference_classification() {
        assert_eq!(picture_kind(I, Codec::H264), Some((true, true)));
        assert_eq!(
            picture_kind(&[0x41, 0x00], Codec::H264),
            Some((false, false))
        );
        assert_eq!(picture_kind(&[0x67, 0x80], Codec::H264), None);
        // H.265: IDR_W_RADL (19), TRAIL_R (1), RASL_N (8, not hashed), VPS (32).
        assert_eq!(
            picture_kind(&[19 << 1, 1, 0x80], Codec::H265),
            Some((true, true))
        );
        assert_eq!(
            picture_kind(&[1 << 1, 1, 0x00], Codec::H265),
            Some((false, false))
        );
        assert_eq!(picture_kind(&[8 << 1, 1, 0x80], Codec::H265), None);
        assert_eq!(picture_kind(&[32 << 1, 1, 0x80], Codec::H265), None);
    }
}
