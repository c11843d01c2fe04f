//! Sine and cosine of rational fractions of a turn, in plain IEEE-754 arithmetic.
//!
//! In: an angle `2π · num / den` given as two integers. Out: its `(sin, cos)` in `f64`.
//! The platform's `f64::sin`/`cos` come from its libm and may differ in the last bit
//! between systems; the integer MDCT ([`super::intmdct`]) rounds values computed from such
//! constants, so an encoder and a decoder on different machines must build bit-identical
//! tables. Here the angle is reduced to an eighth of a turn exactly, in integers, and the
//! Taylor series of sine and cosine on `[0, π/4]` is summed with a fixed order of `+`, `×`
//! and `/`, each of which IEEE-754 rounds correctly and Rust never fuses: the same bits on
//! every IEEE-754 machine with `f64` arithmetic (every target quanta builds for; not the
//! x87 FPU). Accuracy: within a few units in the last place (tested against libm).

use std::f64::consts::FRAC_PI_4;

/// `(sin x, cos x)` for `0 <= x <= π/4` by their Taylor series (terms up to `x^27`).
fn taylor(x: f64) -> (f64, f64) {
    let x2 = x * x;
    // Horner form from the highest term down: the same operations on every machine.
    let mut s = 0.0f64;
    let mut c = 0.0f64;
    for k in (1..=13u32).rev() {
        // sin: x (1 - x²/(2·3) (1 - x²/(4·5) (1 - ...)))
        let ds = (2 * k * (2 * k + 1)) as f64;
        s = 1.0 - x2 / ds * s;
        let dc = ((2 * k - 1) * (2 * k)) as f64;
        c = 1.0 - x2 / dc * c;
    }
    (x * s, c)
}

/// `(sin, cos)` of `2π · num / den` (`den > 0`), reproducible bit for bit on every
/// IEEE-754 machine (see the module docs).
pub fn sin_cos_turns(num: i64, den: i64) -> (f64, f64) {
    debug_assert!(den > 0);
    let den = den as i128;
    let num = (num as i128).rem_euclid(den);
    // Octant and the position inside it, exactly: angle = (octant + rem/den) · π/4.
    let eighths = 8 * num;
    let octant = eighths / den;
    let rem = eighths - octant * den;
    let angle = |r: i128| r as f64 / den as f64 * FRAC_PI_4;
    let (s, c) = taylor(angle(rem));
    // In odd octants the complement π/4 - φ is the accurate argument.
    let (s2, c2) = taylor(angle(den - rem));
    match octant {
        0 => (s, c),
        1 => (c2, s2),
        2 => (c, -s),
        3 => (s2, -c2),
        4 => (-s, -c),
        5 => (-c2, -s2),
        6 => (-c, s),
        _ => (-s2, c2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libm() {
        for den in [1i64, 2, 3, 8, 12, 1024, 4096, 16384, 1_000_003] {
            for num in (-den..den).step_by((den as usize / 97).max(1)) {
                let (s, c) = sin_cos_turns(num, den);
                let a = 2.0 * std::f64::consts::PI * num as f64 / den as f64;
                assert!(
                    (s - a.sin()).abs() < 1e-15,
                    "sin {num}/{den}: {s} {}",
                    a.sin()
                );
                assert!(
                    (c - a.cos()).abs() < 1e-15,
                    "cos {num}/{den}: {c} {}",
                    a.cos()
                );
            }
        }
        assert_eq!(sin_cos_turns(0, 7), (0.0, 1.0));
        assert_eq!(sin_cos_turns(1, 4), (1.0, 0.0));
        assert_eq!(sin_cos_turns(1, 2), (0.0, -1.0));
    }
}
