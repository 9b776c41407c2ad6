//! The verifier's variable-time fixed-base tables: what makes checking a
//! frame's signature against a linked key fast, and what an auditor of the
//! verification speed reads.
//!
//! `[s]P` is computed as one point addition per nonzero digit of `s` in
//! signed radix 2^7 from a table of the multiples of P (37 additions, no
//! doublings); a verification is two of them, `[S]B` and `[k](−A)`
//! (`keys::PreparedKey`).
//!
//! Constant rule (timing): variable time is sound here because every input
//! is public: the key, the frame's R and S, the hash k. Nothing secret ever
//! reaches these tables; signing uses curve25519-dalek's constant-time
//! multiplication (`keys::basepoint_table`).
//!
//! Memory rule: a table is 37 × 64 points, 370 KiB, allocated fallibly
//! ([`VartimeTable::try_new`]); B's is built once and shared.

use alloc::boxed::Box;
use alloc::vec::Vec;
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use once_cell::race::OnceBox;

use crate::memory::{self, OutOfMemory};

static BASEPOINT_VARTIME: OnceBox<VartimeTable> = OnceBox::new();

/// The shared variable-time table of B, built on first use.
pub(crate) fn basepoint_vartime() -> &'static VartimeTable {
    BASEPOINT_VARTIME.get_or_init(|| Box::new(VartimeTable::new(&ED25519_BASEPOINT_POINT)))
}

/// Builds B's table now if it is not built yet, or says that there is no
/// memory for it.
pub(crate) fn prepare_basepoint() -> Result<(), OutOfMemory> {
    if BASEPOINT_VARTIME.get().is_none() {
        let table = VartimeTable::try_new(&ED25519_BASEPOINT_POINT)?;
        memory::probe(core::mem::size_of::<VartimeTable>())?;
        // Another caller may have won the race; the loser's table is dropped.
        let _ = BASEPOINT_VARTIME.set(Box::new(table));
    }
    Ok(())
}

/// Bits per digit of [`VartimeTable`]'s signed radix-2^w recoding.
const WINDOW_BITS: usize = 7;
/// Digits of a scalar below 2^253 (every canonical scalar): 256 / w,
/// rounded up; the top digit takes the last carry.
const DIGITS: usize = 256usize.div_ceil(WINDOW_BITS);
/// Entries per digit position: the multiples 1 … 2^(w−1) (a negative digit
/// uses the negated entry).
const ENTRIES: usize = 1 << (WINDOW_BITS - 1);

/// A variable-time fixed-base table of one point P: entry `[i][j]` is
/// `(j + 1)·2^(w·i)·P`, so `[s]P` is one point addition per nonzero digit
/// of `s` in signed radix 2^w (37 additions for w = 7, no doublings).
///
/// Constant rule: variable time is sound here because every input is public
/// (the key, the frame's R and S, the hash k); nothing secret ever reaches
/// this table (signing uses curve25519-dalek's constant-time tables).
pub(crate) struct VartimeTable(Vec<EdwardsPoint>);

impl VartimeTable {
    /// The table of `point` (DIGITS × ENTRIES point additions).
    pub(crate) fn new(point: &EdwardsPoint) -> VartimeTable {
        match VartimeTable::try_new(point) {
            Ok(table) => table,
            Err(_) => alloc::alloc::handle_alloc_error(core::alloc::Layout::new::<
                [EdwardsPoint; DIGITS * ENTRIES],
            >()),
        }
    }

    /// The table of `point`, or [`OutOfMemory`] when its 370 KiB cannot
    /// be allocated.
    pub(crate) fn try_new(point: &EdwardsPoint) -> Result<VartimeTable, OutOfMemory> {
        let mut table = Vec::new();
        table
            .try_reserve_exact(DIGITS * ENTRIES)
            .map_err(|_| OutOfMemory {
                bytes: DIGITS * ENTRIES * core::mem::size_of::<EdwardsPoint>(),
            })?;
        let mut base = *point;
        for _ in 0..DIGITS {
            let mut multiple = base;
            for _ in 0..ENTRIES {
                table.push(multiple);
                multiple += base;
            }
            // 2^w·base is twice the last entry, ENTRIES·base.
            let last: EdwardsPoint = table[table.len() - 1];
            base = last + last;
        }
        Ok(VartimeTable(table))
    }

    /// Adds `[s]P` to `acc`, in variable time (see the type's docs).
    pub(crate) fn add_mul(&self, acc: &mut EdwardsPoint, s: &Scalar) {
        for (i, digit) in signed_digits(s).iter().enumerate() {
            let d = *digit;
            if d > 0 {
                *acc += &self.0[i * ENTRIES + (d as usize - 1)];
            } else if d < 0 {
                *acc -= &self.0[i * ENTRIES + ((-d) as usize - 1)];
            }
        }
    }
}

/// `s` in signed radix 2^w: digits in [−2^(w−1), 2^(w−1)], least
/// significant first, with `s = Σ d_i·2^(w·i)`. Needs `s < 2^253` (true of
/// every canonical scalar) so that the last carry fits the top digit.
fn signed_digits(s: &Scalar) -> [i16; DIGITS] {
    let bytes = s.as_bytes();
    let mut digits = [0i16; DIGITS];
    let mut carry = 0i16;
    for (i, digit) in digits.iter_mut().enumerate() {
        let bit = i * WINDOW_BITS;
        // The w bits at `bit` (they may straddle two bytes).
        let lo = bytes.get(bit / 8).copied().unwrap_or(0) as u16;
        let hi = bytes.get(bit / 8 + 1).copied().unwrap_or(0) as u16;
        let raw = (((hi << 8) | lo) >> (bit % 8)) & ((1 << WINDOW_BITS) - 1);
        let mut d = raw as i16 + carry;
        carry = 0;
        if d > (1 << (WINDOW_BITS - 1)) {
            d -= 1 << WINDOW_BITS;
            carry = 1;
        }
        *digit = d;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::LinkedKey;
    use alloc::vec;
    use curve25519_dalek::traits::Identity;
    use sha2::{Digest, Sha512};

    // RFC 8032 §7.1 TEST 1's public key.
    const RFC_PK: [u8; 32] = [
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07,
        0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07,
        0x51, 0x1a,
    ];

    /// Scalars for the table tests: edge values and 200 hashes reduced mod ℓ.
    fn test_scalars() -> Vec<Scalar> {
        let mut out = vec![
            Scalar::ZERO,
            Scalar::ONE,
            -Scalar::ONE, // ℓ − 1, the largest canonical scalar
            Scalar::from(64u64),
            Scalar::from(65u64),
            Scalar::from(127u64),
            Scalar::from(128u64),
            Scalar::from(u64::MAX),
        ];
        // Every digit at the edge: 64 (the largest positive digit), 65
        // (becomes −63 with a carry) in each 7-bit window.
        for fill in [0x40u8, 0x41, 0x7f, 0xff] {
            let mut b = [fill; 32];
            b[31] = 0x0f;
            out.push(Scalar::from_bytes_mod_order(b));
        }
        for i in 0u32..200 {
            let d = Sha512::digest(i.to_le_bytes());
            let mut wide = [0u8; 64];
            wide.copy_from_slice(&d);
            out.push(Scalar::from_bytes_mod_order_wide(&wide));
        }
        out
    }

    #[test]
    fn signed_digits_add_back_up_to_the_scalar_and_stay_in_range() {
        let radix = Scalar::from(1u64 << WINDOW_BITS);
        let half = 1i16 << (WINDOW_BITS - 1);
        for s in test_scalars() {
            let digits = signed_digits(&s);
            let mut sum = Scalar::ZERO;
            for d in digits.iter().rev() {
                assert!((-half..=half).contains(d), "digit {d} of {s:?}");
                let magnitude = Scalar::from(d.unsigned_abs() as u64);
                sum = sum * radix + if *d < 0 { -magnitude } else { magnitude };
            }
            assert_eq!(sum, s);
        }
    }

    #[test]
    fn vartime_table_multiplies_as_curve25519_dalek_does() {
        let points = [
            ED25519_BASEPOINT_POINT,
            -LinkedKey::from_bytes(&RFC_PK).unwrap().point(),
        ];
        for p in points {
            let table = VartimeTable::new(&p);
            assert_eq!(table.0.len(), DIGITS * ENTRIES);
            for s in test_scalars() {
                let mut sum = EdwardsPoint::identity();
                table.add_mul(&mut sum, &s);
                assert_eq!(sum, s * p, "{s:?}");
            }
            // add_mul adds to what is there.
            let mut sum = p;
            table.add_mul(&mut sum, &Scalar::from(5u64));
            assert_eq!(sum, Scalar::from(6u64) * p);
        }
    }
}
