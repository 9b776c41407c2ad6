//! What the demo asks of the operating system: the wall clock, as frames
//! carry it, and randomness for keys, stream ids and the relay's faults.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::DemoError;

/// Now, in microseconds since the Unix epoch (0 if the clock is before 1970).
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `N` bytes from the OS's cryptographic random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], DemoError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| DemoError::Random(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_after_2024_and_two_draws_differ() {
        assert!(now_us() > 1_704_067_200_000_000);
        assert_ne!(random_bytes::<32>().unwrap(), random_bytes::<32>().unwrap());
    }
}
