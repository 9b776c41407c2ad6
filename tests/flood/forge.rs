//! Hostile frames for the flood test (`main.rs`) and the flood benchmark
//! (`examples/flood/`, `cargo run --release --example flood`, which
//! includes this file): one source, so the benchmark measures exactly what
//! the test asserts on.
//!
//! Every frame is written into one reused buffer, so producing a million of
//! them allocates nothing and the allocation counts measure the verifier
//! and the reader alone.

use frameseal::frame::{HEADER_LEN, OVERHEAD};
use frameseal::{FrameSpec, LinkedKey, Signer};

/// The clock of every frame and verifier here, in µs since the epoch.
pub const NOW_US: i64 = 1_700_000_000_000_000;
/// The stream every frame claims.
pub const STREAM: [u8; 16] = [0x5A; 16];
/// What a "gigabyte claim" declares as its payload length.
pub const GIGABYTE: u32 = 1 << 30;

/// One kind of hostile frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Another camera's frame: refused at the key id, no signature math.
    Foreign,
    /// Our key id, a well-formed signature (canonical S, R a point of large
    /// order) that does not verify: the full cost of a signature check.
    ForgedFull,
    /// Our key id, S not below the group order: refused before any
    /// point arithmetic.
    ForgedNonCanonicalS,
    /// Our key id, R bytes that are not a curve point.
    ForgedRNotAPoint,
    /// Our key id, R the identity (small order).
    ForgedSmallOrderR,
    /// A 116-byte frame whose header claims a gigabyte of payload.
    GigabyteClaim,
}

impl Kind {
    /// The flood mix, frame by frame: 16 of every 20 foreign, one of each
    /// forgery (so 100 000 frames are 80 000 foreign and 5 000 of each
    /// forgery).
    pub fn of_flood(i: u64) -> Kind {
        match i % 20 {
            16 => Kind::ForgedFull,
            17 => Kind::ForgedNonCanonicalS,
            18 => Kind::ForgedRNotAPoint,
            19 => Kind::ForgedSmallOrderR,
            _ => Kind::Foreign,
        }
    }

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Foreign => "foreign key",
            Kind::ForgedFull => "forged, full check",
            Kind::ForgedNonCanonicalS => "forged, S >= L",
            Kind::ForgedRNotAPoint => "forged, R not a point",
            Kind::ForgedSmallOrderR => "forged, small-order R",
            Kind::GigabyteClaim => "claims 1 GiB payload",
        }
    }
}

/// Writes hostile frames of one size for one linked camera.
pub struct Forge {
    camera: Signer,
    ours: Vec<u8>,
    foreign: Vec<u8>,
    buf: Vec<u8>,
}

impl Forge {
    /// Frames with `payload_len`-byte payloads against camera key `[1; 32]`.
    pub fn new(payload_len: usize) -> Forge {
        let mut camera = Signer::from_secret(&[1; 32], STREAM);
        let mut stranger = Signer::from_secret(&[2; 32], STREAM);
        let payload = vec![0u8; payload_len];
        let spec = FrameSpec {
            seq: Some(1_000_000),
            ..FrameSpec::at(NOW_US as u64)
        };
        let ours = camera.sign_frame(&payload, &spec).expect("signable");
        let foreign = stranger.sign_frame(&payload, &spec).expect("signable");
        Forge {
            camera,
            buf: ours.clone(),
            ours,
            foreign,
        }
    }

    /// The key a display is linked to.
    pub fn linked_key(&self) -> LinkedKey {
        LinkedKey::from_bytes(self.camera.public_key()).expect("a valid key")
    }

    /// A genuine frame of the linked camera, fresh at [`NOW_US`].
    pub fn genuine(&mut self, seq: u64) -> Vec<u8> {
        let spec = FrameSpec {
            seq: Some(seq),
            keyframe: true,
            ..FrameSpec::at(NOW_US as u64)
        };
        let payload = vec![0u8; self.ours.len() - OVERHEAD];
        self.camera.sign_frame(&payload, &spec).expect("signable")
    }

    /// Frame number `i` of kind `kind`, in the reused buffer. Each has its
    /// own seq, so no two are the same bytes.
    pub fn frame(&mut self, kind: Kind, i: u64) -> &[u8] {
        let template = match kind {
            Kind::Foreign => &self.foreign,
            _ => &self.ours,
        };
        self.buf.clear();
        self.buf.extend_from_slice(template);
        self.buf[32..40].copy_from_slice(&i.to_be_bytes());
        let n = self.buf.len();
        let (r, s) = self.buf[n - 64..].split_at_mut(32);
        match kind {
            // A genuine frame with its seq changed: the key id is the
            // stranger's, and that is all the verifier looks at.
            Kind::Foreign => {}
            // The template's own R (a point of large order) and a small,
            // canonical S: every check up to the equation passes.
            Kind::ForgedFull => {
                s.fill(0);
                s[..8].copy_from_slice(&(i + 1).to_le_bytes());
            }
            Kind::ForgedNonCanonicalS => s.fill(0xFF),
            Kind::ForgedRNotAPoint => {
                r.fill(0);
                r[0] = 2; // y = 2 has no x on edwards25519
            }
            Kind::ForgedSmallOrderR => {
                r.fill(0);
                r[0] = 1; // the identity
            }
            Kind::GigabyteClaim => {
                self.buf.truncate(OVERHEAD);
                self.buf[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&GIGABYTE.to_be_bytes());
            }
        }
        &self.buf
    }
}
