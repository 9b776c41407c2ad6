//! The verifier's variable-time fixed-base tables: what makes checking a
//! frame's signature against a linked key fast, and what an auditor of the
//! verification speed reads.
//!
//! `[s]P` is computed from a table of multiples of P, one point addition
//! per nonzero digit of `s` in signed radix 2^w; a verification is two of
//! them, `[S]B` and `[k](−A)` (`keys::PreparedKey`). Two layouts
//! ([`Tables`]):
//! - fast: w = 7, one row of 64 multiples per digit: 37 additions, no
//!   doublings, 37 × 64 points (370 KiB);
//! - compact: w = 6, one row of 32 multiples per four digits (a comb): 43
//!   additions and 18 doublings, 11 × 32 points (55 KiB), for pages that
//!   link many keys. B's table is always the fast one, built once.
//!
//! Constant rule (timing): variable time is sound here because every input
//! is public: the key, the frame's R and S, the hash k. Nothing secret ever
//! reaches these tables; signing uses curve25519-dalek's constant-time
//! multiplication (`keys::basepoint_table`).
//!
//! Memory rule: a table is allocated fallibly ([`VartimeTable::try_new`]);
//! B's is built once and shared, and a key's is shared by every
//! [`PreparedKey`](crate::keys::PreparedKey) of that key and layout alive
//! at the same time ([`shared_table`]): a registry of weak references,
//! keyed by the key's bytes and the layout, whose entry goes when the last
//! holder drops its table. The registry is process-wide: behind a `Mutex`
//! with `std` (native, and the modern WebAssembly build), in a cell the
//! binding gives without it (the WebAssembly 1.0 build, one thread;
//! `RegistryHost`).

use alloc::boxed::Box;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::EdwardsPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use once_cell::race::OnceBox;

use crate::keys::Tables;
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

/// The shape of a [`VartimeTable`]: digits of `bits` bits, and `steps`
/// digits per row (a comb: row `i` serves digits `i·steps … i·steps +
/// steps − 1`, with `bits` doublings between them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    bits: usize,
    steps: usize,
}

impl Layout {
    /// Digits of a scalar below 2^253 (every canonical scalar): 256 / w,
    /// rounded up; the top digit takes the last carry.
    const fn digits(self) -> usize {
        256usize.div_ceil(self.bits)
    }

    /// Multiples per row: 1 … 2^(w−1) (a negative digit uses the negated
    /// entry).
    const fn entries(self) -> usize {
        1 << (self.bits - 1)
    }

    const fn rows(self) -> usize {
        self.digits().div_ceil(self.steps)
    }

    /// Points in a table of this layout.
    const fn points(self) -> usize {
        self.rows() * self.entries()
    }

    /// Bytes of a table of this layout.
    pub(crate) const fn bytes(self) -> usize {
        self.points() * core::mem::size_of::<EdwardsPoint>()
    }

    /// The layout of `tables`.
    pub(crate) const fn of(tables: Tables) -> Layout {
        match tables {
            Tables::Fast => FAST,
            Tables::Compact => COMPACT,
        }
    }
}

/// 37 rows of 64 multiples (370 KiB): one addition per digit, no doubling.
const FAST: Layout = Layout { bits: 7, steps: 1 };
/// 11 rows of 32 multiples (55 KiB): 43 additions and 3 × 6 doublings.
const COMPACT: Layout = Layout { bits: 6, steps: 4 };
/// The most digits of any layout (the compact one's 43).
const MAX_DIGITS: usize = 43;
const _: () = assert!(FAST.digits() <= MAX_DIGITS && COMPACT.digits() <= MAX_DIGITS);
// The compact table keeps the promise of `Tables::Compact`: at most 64 KiB
// per key.
const _: () = assert!(COMPACT.bytes() <= 64 * 1024);

/// `*acc += p`, out of line: one copy of curve25519-dalek's point addition
/// for the table builds and both layouts' loops (a call costs nothing
/// beside the addition's field multiplications).
#[inline(never)]
fn add_to(acc: &mut EdwardsPoint, p: &EdwardsPoint) {
    *acc += p;
}

/// `*acc -= p`, out of line (as [`add_to`]).
#[inline(never)]
fn sub_from(acc: &mut EdwardsPoint, p: &EdwardsPoint) {
    *acc -= p;
}

/// `[2^bits]p`: three doublings at a time through `mul_by_cofactor` (the
/// only doubling curve25519-dalek makes public), then additions.
fn times_pow2(p: &EdwardsPoint, bits: usize) -> EdwardsPoint {
    let mut out = *p;
    for _ in 0..bits / 3 {
        out = out.mul_by_cofactor();
    }
    for _ in 0..bits % 3 {
        let twice = out;
        add_to(&mut out, &twice);
    }
    out
}

/// A variable-time fixed-base table of one point P: entry `[i][j]` is
/// `(j + 1)·2^(w·steps·i)·P`, so `[s]P` is one point addition per nonzero
/// digit of `s` in signed radix 2^w, plus `w·(steps − 1)` doublings
/// ([`Layout`]).
///
/// Constant rule: variable time is sound here because every input is public
/// (the key, the frame's R and S, the hash k); nothing secret ever reaches
/// this table (signing uses curve25519-dalek's constant-time tables).
pub(crate) struct VartimeTable {
    points: Vec<EdwardsPoint>,
    layout: Layout,
}

impl VartimeTable {
    /// The fast table of `point` (37 × 64 point additions).
    pub(crate) fn new(point: &EdwardsPoint) -> VartimeTable {
        match VartimeTable::try_new(point) {
            Ok(table) => table,
            Err(_) => alloc::alloc::handle_alloc_error(core::alloc::Layout::new::<
                [EdwardsPoint; FAST.points()],
            >()),
        }
    }

    /// The fast table of `point`, or [`OutOfMemory`] when its 370 KiB
    /// cannot be allocated.
    pub(crate) fn try_new(point: &EdwardsPoint) -> Result<VartimeTable, OutOfMemory> {
        VartimeTable::try_with_layout(point, FAST)
    }

    /// The table of `point` in `layout`, or [`OutOfMemory`].
    pub(crate) fn try_with_layout(
        point: &EdwardsPoint,
        layout: Layout,
    ) -> Result<VartimeTable, OutOfMemory> {
        let mut points = Vec::new();
        points
            .try_reserve_exact(layout.points())
            .map_err(|_| OutOfMemory {
                bytes: layout.bytes(),
            })?;
        let mut base = *point;
        for _ in 0..layout.rows() {
            let mut multiple = base;
            for _ in 0..layout.entries() {
                points.push(multiple);
                add_to(&mut multiple, &base);
            }
            // 2^w·base is twice the last entry, 2^(w−1)·base; a comb row
            // is 2^(w·steps) above the one before.
            let last: EdwardsPoint = points[points.len() - 1];
            base = times_pow2(&last, 1 + layout.bits * (layout.steps - 1));
        }
        Ok(VartimeTable { points, layout })
    }

    /// Adds `[s]P` to `acc`, in variable time (see the type's docs).
    pub(crate) fn add_mul(&self, acc: &mut EdwardsPoint, s: &Scalar) {
        let Layout { bits, steps } = self.layout;
        let digits = signed_digits(s, bits);
        if steps == 1 {
            self.add_tooth(acc, &digits, 0);
            return;
        }
        // Horner over the comb's teeth: the top digit of every row first,
        // then 2^w times that plus the next, down to the lowest.
        let mut sum = EdwardsPoint::identity();
        for tooth in (0..steps).rev() {
            if tooth + 1 < steps {
                sum = times_pow2(&sum, bits);
            }
            self.add_tooth(&mut sum, &digits, tooth);
        }
        add_to(acc, &sum);
    }

    /// Adds to `sum` the entry of every digit `tooth`, `tooth + steps`, …
    /// (one per row; every digit when `steps` is 1).
    fn add_tooth(&self, sum: &mut EdwardsPoint, digits: &[i16; MAX_DIGITS], tooth: usize) {
        let Layout { steps, .. } = self.layout;
        let entries = self.layout.entries();
        let mut i = tooth;
        while i < self.layout.digits() {
            let row = (i / steps) * entries;
            let d = digits[i];
            if d > 0 {
                add_to(sum, &self.points[row + (d as usize - 1)]);
            } else if d < 0 {
                sub_from(sum, &self.points[row + ((-d) as usize - 1)]);
            }
            i += steps;
        }
    }
}

/// `s` in signed radix 2^w (`bits` = w, at most 15): digits in
/// [−2^(w−1), 2^(w−1)], least significant first, with `s = Σ d_i·2^(w·i)`;
/// the first 256 / w (rounded up) are meaningful. Needs `s < 2^253` (true
/// of every canonical scalar) so that the last carry fits the top digit.
fn signed_digits(s: &Scalar, bits: usize) -> [i16; MAX_DIGITS] {
    let bytes = s.as_bytes();
    let mut digits = [0i16; MAX_DIGITS];
    let mut carry = 0i16;
    let count = 256usize.div_ceil(bits).min(MAX_DIGITS);
    for (i, digit) in digits.iter_mut().take(count).enumerate() {
        let bit = i * bits;
        // The w bits at `bit` (they may straddle two bytes).
        let lo = bytes.get(bit / 8).copied().unwrap_or(0) as u16;
        let hi = bytes.get(bit / 8 + 1).copied().unwrap_or(0) as u16;
        let raw = (((hi << 8) | lo) >> (bit % 8)) & ((1 << bits) - 1);
        let mut d = raw as i16 + carry;
        carry = 0;
        if d > (1 << (bits - 1)) {
            d -= 1 << bits;
            carry = 1;
        }
        *digit = d;
    }
    digits
}

/// The table of `minus_a` (the negated key whose encoding is `key`) in the
/// layout of `tables`: the one already built for that key and layout if a
/// holder still has it, else a new one, registered for the next caller.
/// [`SharedTable`] takes the entry out when its last holder drops it.
pub(crate) fn shared_table(
    key: &[u8; 32],
    minus_a: &EdwardsPoint,
    tables: Tables,
) -> Result<SharedTable, OutOfMemory> {
    let layout = Layout::of(tables);
    let shared = with_registry(|registry| {
        let live = registry
            .entries
            .iter()
            .filter(|e| e.layout == layout && e.key == *key)
            .find_map(|e| e.table.upgrade());
        if let Some(table) = live {
            return Ok(table);
        }
        let table = new_arc(minus_a, layout)?;
        let entry = Entry {
            key: *key,
            layout,
            table: Arc::downgrade(&table),
        };
        // An entry whose table is gone (its last holders dropped at once
        // on two threads) makes room; no memory for the entry leaves the
        // table unshared, nothing worse.
        let entries = &mut registry.entries;
        if let Some(dead) = entries.iter_mut().find(|e| e.table.strong_count() == 0) {
            *dead = entry;
        } else if entries.try_reserve(1).is_ok() {
            entries.push(entry);
        }
        Ok(table)
    });
    match shared {
        Some(table) => Ok(SharedTable(table?)),
        None => Ok(SharedTable(new_arc(minus_a, layout)?)),
    }
}

/// A new table in its `Arc`, fallibly.
fn new_arc(minus_a: &EdwardsPoint, layout: Layout) -> Result<Arc<VartimeTable>, OutOfMemory> {
    let table = VartimeTable::try_with_layout(minus_a, layout)?;
    // Arc's own block: the table's header and two counts.
    memory::probe(core::mem::size_of::<VartimeTable>() + 2 * core::mem::size_of::<usize>())?;
    Ok(Arc::new(table))
}

/// A key's table, shared by every holder of that key and layout
/// ([`shared_table`]); dropping the last one frees the table and its
/// registry entry.
pub(crate) struct SharedTable(Arc<VartimeTable>);

impl SharedTable {
    /// The table.
    pub(crate) fn table(&self) -> &VartimeTable {
        &self.0
    }

    /// Whether `self` and `other` hold the same table.
    pub(crate) fn same_as(&self, other: &SharedTable) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Clone for SharedTable {
    fn clone(&self) -> SharedTable {
        SharedTable(Arc::clone(&self.0))
    }
}

impl Drop for SharedTable {
    fn drop(&mut self) {
        // With the registry held nothing can upgrade its weak reference,
        // so a count of 1 means this is the last holder. (When the
        // registry cannot be had, the entry goes at the next link.)
        let table = Arc::as_ptr(&self.0);
        let last = &self.0;
        with_registry(|registry| {
            let entries = &mut registry.entries;
            if Arc::strong_count(last) == 1
                && let Some(i) = entries.iter().position(|e| e.table.as_ptr() == table)
            {
                entries.swap_remove(i);
            }
        });
    }
}

/// One registered table: the key's bytes, the layout, and a weak
/// reference that does not keep the table alive.
struct Entry {
    key: [u8; 32],
    layout: Layout,
    table: Weak<VartimeTable>,
}

/// The tables alive now, by key and layout: one per process
/// ([`with_registry`]).
pub(crate) struct Registry {
    entries: Vec<Entry>,
}

impl Registry {
    /// An empty registry.
    pub(crate) const fn new() -> Registry {
        Registry {
            entries: Vec::new(),
        }
    }
}

#[cfg(feature = "std")]
static REGISTRY: std::sync::Mutex<Registry> = std::sync::Mutex::new(Registry::new());

/// Runs `f` on the registry, locked. A panic while it was held (an
/// allocation failure natively) leaves it consistent: every change is one
/// `push`, assignment or `swap_remove`.
#[cfg(feature = "std")]
fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> Option<R> {
    let mut registry = REGISTRY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Some(f(&mut registry))
}

/// Where the registry is kept without `std`, which has no lock: a cell
/// the binding of the WebAssembly 1.0 build gives (`wasm/verifier.rs`; one
/// thread there), lent to one caller at a time.
#[cfg(not(feature = "std"))]
pub(crate) trait RegistryHost: Sync {
    /// Runs `f` on the registry, unless it is lent out already (a
    /// re-entrant call, which then goes without).
    fn with(&self, f: &mut dyn FnMut(&mut Registry));
}

#[cfg(not(feature = "std"))]
static HOST: OnceBox<&'static dyn RegistryHost> = OnceBox::new();

/// Keeps the registry in `host` from now on (the first host given stays).
#[cfg(not(feature = "std"))]
pub(crate) fn set_registry_host(host: &'static dyn RegistryHost) {
    if HOST.get().is_none() {
        let _ = HOST.set(Box::new(host));
    }
}

/// Runs `f` on the registry; `None` when there is none to be had (no host
/// given, or lent out), and then every holder has a table of its own.
#[cfg(not(feature = "std"))]
fn with_registry<R>(f: impl FnOnce(&mut Registry) -> R) -> Option<R> {
    let host = HOST.get()?;
    let mut f = Some(f);
    let mut out = None;
    host.with(&mut |registry| {
        if let Some(f) = f.take() {
            out = Some(f(registry));
        }
    });
    out
}

/// How many tables of `key` in `tables`' layout the registry holds (0 or
/// 1), for the tests that check an entry goes with its last holder.
#[cfg(test)]
pub(crate) fn registered(key: &[u8; 32], tables: Tables) -> usize {
    let layout = Layout::of(tables);
    with_registry(|registry| {
        registry
            .entries
            .iter()
            .filter(|e| e.layout == layout && e.key == *key)
            .count()
    })
    .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::LinkedKey;
    use alloc::vec;
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
        for layout in [FAST, COMPACT] {
            let radix = Scalar::from(1u64 << layout.bits);
            let half = 1i16 << (layout.bits - 1);
            for s in test_scalars() {
                let digits = signed_digits(&s, layout.bits);
                assert!(digits[layout.digits()..].iter().all(|d| *d == 0));
                let mut sum = Scalar::ZERO;
                for d in digits[..layout.digits()].iter().rev() {
                    assert!((-half..=half).contains(d), "digit {d} of {s:?}");
                    let magnitude = Scalar::from(d.unsigned_abs() as u64);
                    sum = sum * radix + if *d < 0 { -magnitude } else { magnitude };
                }
                assert_eq!(sum, s, "{layout:?}");
            }
        }
    }

    #[test]
    fn both_layouts_multiply_as_curve25519_dalek_does() {
        let points = [
            ED25519_BASEPOINT_POINT,
            -LinkedKey::from_bytes(&RFC_PK).unwrap().point(),
        ];
        for layout in [FAST, COMPACT] {
            for p in points {
                let table = VartimeTable::try_with_layout(&p, layout).unwrap();
                assert_eq!(table.points.len(), layout.points());
                for s in test_scalars() {
                    let mut sum = EdwardsPoint::identity();
                    table.add_mul(&mut sum, &s);
                    assert_eq!(sum, s * p, "{layout:?} {s:?}");
                }
                // add_mul adds to what is there.
                let mut sum = p;
                table.add_mul(&mut sum, &Scalar::from(5u64));
                assert_eq!(sum, Scalar::from(6u64) * p);
            }
        }
    }

    #[test]
    fn table_sizes_are_the_documented_ones() {
        // 160-byte points: 370 KiB fast, 55 KiB compact (at most 64 KiB).
        assert_eq!(FAST.bytes(), 37 * 64 * 160);
        assert_eq!(COMPACT.bytes(), 11 * 32 * 160);
        assert_eq!(COMPACT.bytes(), 56_320);
    }

    #[test]
    fn times_pow2_doubles_bits_times() {
        let p = ED25519_BASEPOINT_POINT;
        for bits in 0..10usize {
            assert_eq!(times_pow2(&p, bits), Scalar::from(1u64 << bits) * p);
        }
    }
}
