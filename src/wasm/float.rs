//! The two `f64` operations the JS binding needs that `core` does not have
//! (`f64::round` and `f64::fract` live in `std`): the WebAssembly 1.0 build
//! is `no_std`. Both targets use these, so they behave the same; the tests
//! compare them with std's.

/// 2^52: every finite `f64` of at least this magnitude is a whole number.
const WHOLE_FROM: f64 = 4_503_599_627_370_496.0;

/// Whether `n` is a whole number: `n.fract() == 0.0` without std (false for
/// NaN and the infinities).
pub(crate) fn is_whole(n: f64) -> bool {
    if !n.is_finite() {
        return false;
    }
    n.abs() >= WHOLE_FROM || n == (n as i64) as f64
}

/// `n` rounded to the nearest whole number, halves away from zero:
/// `f64::round` without std (NaN and the infinities are returned as they are).
pub(crate) fn round(n: f64) -> f64 {
    if !n.is_finite() || n.abs() >= WHOLE_FROM {
        return n;
    }
    // Below 2^52 the truncation fits an i64 and `n - whole` is exact.
    let whole = (n as i64) as f64;
    let rounded = if (n - whole).abs() >= 0.5 {
        whole + n.signum()
    } else {
        whole
    };
    // Keep the sign of a zero result (-0.4 rounds to -0.0, as in std).
    if rounded == 0.0 {
        0.0f64.copysign(n)
    } else {
        rounded
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn samples() -> std::vec::Vec<f64> {
        let mut out = std::vec![
            0.0,
            -0.0,
            0.4,
            0.5,
            0.6,
            1.0,
            1.5,
            2.5,
            -0.4,
            -0.5,
            -1.5,
            -2.5,
            1e-300,
            0.499_999_999_999_999_94,
            2999.5,
            10_000.0,
            9_007_199_254_740_991.0,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut x = 0.37_f64;
        for _ in 0..2000 {
            x = (x * 1.618_033_988_7 + 0.123) % 1e7;
            out.push(x);
            out.push(-x);
            out.push((x * 2.0).trunc() / 2.0);
        }
        out
    }

    #[test]
    fn round_is_std_round() {
        for n in samples() {
            let (ours, std) = (round(n), n.round());
            assert!(
                ours.to_bits() == std.to_bits() || (ours.is_nan() && std.is_nan()),
                "round({n:e}) = {ours:e}, std says {std:e}"
            );
        }
    }

    #[test]
    fn is_whole_is_fract_zero() {
        for n in samples() {
            assert_eq!(is_whole(n), n.fract() == 0.0, "is_whole({n:e})");
        }
    }
}
