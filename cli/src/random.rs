//! Randomness from the operating system, for secret keys and stream ids.

use crate::error::CliError;

/// `N` bytes from the OS's cryptographic random source.
pub fn bytes<const N: usize>() -> Result<[u8; N], CliError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| CliError::Random(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_draws_differ() {
        let a = super::bytes::<32>().unwrap();
        let b = super::bytes::<32>().unwrap();
        assert_ne!(a, b);
    }
}
