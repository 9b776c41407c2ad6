//! Running out of memory as an error, not an abort.
//!
//! A display page lives in one WebAssembly memory that can only grow, up to
//! an engine limit; dozens of tiles share it. Rust's infallible allocations
//! abort the whole module when that limit is reached (a `RuntimeError:
//! unreachable` in JS, with the object that was mid-call left unusable).
//! The allocations that are large or caused by input (a key's tables, a
//! frame's copy, a rotation's new tables) are therefore made fallible, and
//! a call that cannot get its memory returns [`OutOfMemory`] before it has
//! changed any state.

use alloc::vec::Vec;
use core::fmt;

/// The memory a call needed could not be allocated; nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory {
    /// How many bytes were asked for.
    pub bytes: usize,
}

impl fmt::Display for OutOfMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "out of memory (needed {} more bytes)", self.bytes)
    }
}

impl core::error::Error for OutOfMemory {}

/// Checks that `bytes` can be allocated right now, for an allocation that
/// has no fallible form (`Box::new`, `Arc::new`, a dependency's
/// constructor).
///
/// Constant rule: this is sound only where nothing can allocate between the
/// probe and the allocation it guards. It holds in the WebAssembly builds
/// (one thread), where the probe's block, just freed, is what the
/// allocator hands out for the next request of that size. Natively another
/// thread may allocate in between; a failure there aborts, as any Rust
/// allocation does.
pub(crate) fn probe(bytes: usize) -> Result<(), OutOfMemory> {
    let mut block: Vec<u8> = Vec::new();
    block
        .try_reserve_exact(bytes)
        .map_err(|_| OutOfMemory { bytes })
}
