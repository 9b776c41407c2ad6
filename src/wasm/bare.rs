//! What the standard library would provide on `wasm32v1-none`, the
//! WebAssembly 1.0 build: a global allocator and a panic handler.
//! Only compiled for `target_os = "none"`; every other target links `std`.
//!
//! Nothing in the crate is meant to panic (the JS boundary turns bad input
//! into thrown `Error`s), so the handler is the last resort it is in the
//! modern build with `panic = "abort"`: a trap, which JS sees as a
//! `WebAssembly.RuntimeError`.

/// The heap of the WebAssembly 1.0 build: dlmalloc over `memory.grow`, as
/// in std's wasm32 targets.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// Traps (the `unreachable` instruction). Left out when a test harness
/// brings its own (the `harness-panic-handler` feature, tests/mvp/).
#[cfg(not(feature = "harness-panic-handler"))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
