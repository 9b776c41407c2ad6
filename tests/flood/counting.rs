//! A global allocator that counts, per thread, the bytes currently
//! allocated and the peak since the last [`reset_peak`]: memory is measured
//! by what the code asks for, not by timing or by the process's RSS. Used
//! by the flood test and, included from here, the flood benchmark.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

/// Counts this thread's allocations on top of the system allocator.
pub struct Counting;

fn grew(n: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + n;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
    let _ = CALLS.try_with(|c| c.set(c.get() + 1));
}

fn shrank(n: usize) {
    // Memory freed by another thread than the one that allocated it makes
    // a thread's count low, never wrong in the direction that matters here.
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(n)));
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are
// thread-local `Cell`s with const initialisers, so counting never allocates
// or re-enters the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as a new block before the old one goes: a realloc may
            // hold both for a moment.
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

/// Bytes this thread has allocated and not freed.
pub fn live() -> usize {
    LIVE.with(Cell::get)
}

/// The most this thread had allocated at once since the last [`reset_peak`].
pub fn peak() -> usize {
    PEAK.with(Cell::get)
}

/// Allocator calls (alloc, alloc_zeroed, realloc) made by this thread so far.
pub fn calls() -> u64 {
    CALLS.with(Cell::get)
}

/// Starts a new peak measurement at the current live size.
pub fn reset_peak() {
    let now = live();
    PEAK.with(|p| p.set(now));
}
