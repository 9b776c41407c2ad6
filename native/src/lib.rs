//! What the native programs built on frameseal (the `frameseal` command in
//! `cli/` and the relay demo in `demo/`) need alike from the terminal and
//! the operating system, written once: [`say!`], which prints and shrugs
//! off a closed stdout; [`io_reason`], an I/O error as a person reads it;
//! [`now_us`], the wall clock as frames carry it; and [`random_bytes`].
//! Never part of the library or its JS package.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

/// `println!` that shrugs off a closed stdout (`frameseal inspect x | head`,
/// a terminal that went away): what is printed is a courtesy, the exit
/// code (or, for the demo, the server running on) is what counts.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stdout(), $($arg)*);
    }};
}

/// An I/O error as a person wants to read it: "No such file or directory",
/// without the "(os error 2)" suffix.
pub fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

/// Now, in microseconds since the Unix epoch (0 if the clock is before 1970).
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The system had no randomness to offer (keys and stream ids cannot be
/// made without it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no randomness from the system: {0}")]
pub struct NoRandomness(pub getrandom::Error);

/// `N` bytes from the OS's cryptographic random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], NoRandomness> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(NoRandomness)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_lose_the_os_error_suffix() {
        let e = io::Error::from_raw_os_error(2);
        assert!(e.to_string().contains("(os error 2)"));
        assert_eq!(io_reason(&e), "No such file or directory");
        let custom = io::Error::other("plain words");
        assert_eq!(io_reason(&custom), "plain words");
    }

    #[test]
    fn now_is_after_2024() {
        assert!(now_us() > 1_704_067_200_000_000);
    }

    #[test]
    fn two_draws_differ() {
        assert_ne!(random_bytes::<32>().unwrap(), random_bytes::<32>().unwrap());
    }

    #[test]
    fn no_randomness_says_so_with_the_reason() {
        let e = NoRandomness(getrandom::Error::UNSUPPORTED);
        assert!(
            e.to_string().starts_with("no randomness from the system: "),
            "{e}"
        );
    }
}
