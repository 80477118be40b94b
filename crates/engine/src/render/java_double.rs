//! Java's `Double.toString` and `Float.toString` as the JDK 17 Flink runs on prints them
//! (`1.0E-6`, `1000.0`, `-Infinity`).
//!
//! JDK 17 does not always print the shortest decimal that reads back as the same number (that
//! came with JDK 19), so Rust's formatting cannot stand in for it. Its behaviour, reproduced
//! here and checked against a JDK 17 on over a million random doubles and floats:
//!
//! * An integral value below 2^63 prints all its digits, rounded half up only where they lie
//!   below the type's precision: `1.33159182966407168E17`, where the shortest form is
//!   `1.3315918296640717E17`.
//! * Any other value gets Steele and White's free-format digit generation: digits of the value
//!   are produced until the rest is within half an ulp below (`low`) or above (`high`), and the
//!   last digit is rounded up when only `high` holds, or when both hold and the rest is past
//!   half a digit (on an exact half, when the digit is odd). At an exact power of two the
//!   margin is half the smaller gap, on both sides.
//! * The JDK runs that loop in `int`, `long` or big-integer arithmetic, by how large the scaled
//!   numbers get. The fixed-width loops test `high` strictly and wrap on overflow; the big one
//!   tests it inclusively. Both quirks change digits, so the loop is generic over the three.
//! * E-form (below 10^-3 or from 10^7) always has a digit after the point, so the loop never
//!   stops after its first digit there.

use std::cmp::Ordering;

use num_bigint::BigUint;

/// `Double.toString(value)`.
pub fn double_to_string(value: f64) -> String {
    if let Some(text) = special(value) {
        return text;
    }
    let bits = value.to_bits();
    let (mantissa, exponent) = (bits & ((1 << 52) - 1), ((bits >> 52) & 0x7ff) as i32);
    let binary = if exponent == 0 {
        Binary::new(mantissa, -1074, 64 - mantissa.leading_zeros() as i32)
    } else {
        Binary::new(mantissa | (1 << 52), exponent - 1075, 53)
    };
    layout(value < 0.0, binary.decimal())
}

/// `Float.toString(value)`: the same algorithm with the float's own precision.
pub fn float_to_string(value: f32) -> String {
    if let Some(text) = special(f64::from(value)) {
        return text;
    }
    let bits = value.to_bits();
    let (mantissa, exponent) = (u64::from(bits & ((1 << 23) - 1)), ((bits >> 23) & 0xff) as i32);
    let binary = if exponent == 0 {
        Binary::new(mantissa, -149, 64 - mantissa.leading_zeros() as i32)
    } else {
        Binary::new(mantissa | (1 << 23), exponent - 150, 24)
    };
    layout(value < 0.0, binary.decimal())
}

fn special(value: f64) -> Option<String> {
    let text = if value.is_nan() {
        "NaN"
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }
    } else if value == 0.0 {
        if value.is_sign_negative() { "-0.0" } else { "0.0" }
    } else {
        return None;
    };
    Some(text.to_owned())
}

/// A positive finite value `odd * 2^shift`, `odd` odd, from a type whose values of this
/// magnitude carry `precision` significant bits.
struct Binary {
    odd: u64,
    shift: i32,
    precision: i32,
}

/// Digits and where the point goes: the value is `0.d1d2d3... * 10^point`.
struct Decimal {
    digits: Vec<u8>,
    point: i32,
}

impl Binary {
    fn new(mantissa: u64, shift: i32, precision: i32) -> Self {
        let zeros = mantissa.trailing_zeros() as i32;
        Self {
            odd: mantissa >> zeros,
            shift: shift + zeros,
            precision,
        }
    }

    fn bits(&self) -> i32 {
        64 - self.odd.leading_zeros() as i32
    }

    /// The exponent of the leading bit: `2^top <= value < 2^(top + 1)`.
    fn top(&self) -> i32 {
        self.shift + self.bits() - 1
    }

    fn decimal(&self) -> Decimal {
        if self.shift >= 0 && self.top() <= 62 {
            return self.integral();
        }
        self.free_format()
    }

    /// An integer below 2^63: its digits, rounded half up where they lie below the precision.
    fn integral(&self) -> Decimal {
        let mut value = self.odd << self.shift;
        // The last bit of precision is worth 2^below; the digits of that number, but one, are noise.
        let below = self.top() - self.precision - 1;
        let mut point = 0;
        let noise = if below > 1 {
            (1u64 << below).to_string().len() as u32 - 1
        } else {
            0
        };
        if noise > 0 {
            let unit = 10u64.pow(noise);
            let rest = value % unit;
            value = value / unit + u64::from(rest >= unit / 2);
            point = noise as i32;
        }
        let text = value.to_string();
        Decimal {
            digits: text.trim_end_matches('0').bytes().map(|b| b - b'0').collect(),
            point: point + text.len() as i32,
        }
    }

    fn free_format(&self) -> Decimal {
        // value = r / s * 10^estimate, with margin m = half an ulp, all as 2^x * 5^y.
        let mut estimate = estimate_log10(self);
        let bits = self.bits();
        let fraction_bits = (-self.shift).max(0);
        let mut r = Pow {
            five: (-estimate).max(0),
            two: (-estimate).max(0) + self.shift + fraction_bits,
        };
        let mut s = Pow {
            five: estimate.max(0),
            two: estimate.max(0) + fraction_bits,
        };
        let mut m = Pow {
            five: r.five,
            two: r.two + bits - 1 - self.precision,
        };
        let common = r.two.min(s.two);
        for p in [&mut r, &mut s, &mut m] {
            p.two -= common;
        }
        if bits == 1 {
            m.two -= 1;
        }
        if m.two < 0 {
            let lift = -m.two;
            for p in [&mut r, &mut s, &mut m] {
                p.two += lift;
            }
        }
        let r_bits = bits + r.two + bits_of_pow5(r.five);
        let ten_s_bits = s.two + 1 + bits_of_pow5(s.five + 1);
        let run = if r_bits < 32 && ten_s_bits < 32 {
            generate::<i32>(self.odd, &r, &s, &m, &mut estimate)
        } else if r_bits < 64 && ten_s_bits < 64 {
            generate::<i64>(self.odd, &r, &s, &m, &mut estimate)
        } else {
            generate::<BigUint>(self.odd, &r, &s, &m, &mut estimate)
        };
        let mut decimal = Decimal {
            digits: run.digits,
            point: estimate + 1,
        };
        let round_up = match (run.low, run.high) {
            (_, false) => false,
            (false, true) => true,
            (true, true) => match run.rest_vs_half {
                Ordering::Less => false,
                Ordering::Greater => true,
                Ordering::Equal => decimal.digits.last().is_some_and(|d| d % 2 == 1),
            },
        };
        if round_up {
            decimal.round_up();
        }
        decimal
    }
}

impl Decimal {
    /// Adds one to the last digit; a carry out of the first digit makes it a `1` one place up
    /// (the other digits stay, as zeros).
    fn round_up(&mut self) {
        for digit in self.digits.iter_mut().rev() {
            if *digit < 9 {
                *digit += 1;
                return;
            }
            *digit = 0;
        }
        self.digits[0] = 1;
        self.point += 1;
    }
}

/// `2^two * 5^five`.
struct Pow {
    two: i32,
    five: i32,
}

/// The bit length of 5^n, or the JDK's over-estimate of it (3n) from 5^27 on.
fn bits_of_pow5(n: i32) -> i32 {
    if n < 27 {
        (64 - 5u64.pow(n as u32).leading_zeros()) as i32 - i32::from(n == 0)
    } else {
        n * 3
    }
}

/// The JDK's estimate of `floor(log10(value))` from a linear fit of log10 over the mantissa:
/// it may be one too high, which the first digit corrects.
// The JDK's own constants, not `LOG10_2`: another last bit could change the estimate.
#[allow(clippy::approx_constant)]
fn estimate_log10(binary: &Binary) -> i32 {
    let mantissa = (binary.odd << (53 - binary.bits())) & ((1 << 52) - 1);
    let scaled = f64::from_bits(0x3ff0_0000_0000_0000 | mantissa);
    let log10 = (scaled - 1.5) * 0.289529654 + 0.176091259 + f64::from(binary.top()) * 0.301029995663981;
    log10.floor() as i32
}

struct Run {
    digits: Vec<u8>,
    low: bool,
    high: bool,
    /// How twice the last remainder compares with the scale (rounds a last digit on ties).
    rest_vs_half: Ordering,
}

/// The arithmetic the digit loop runs in: Java's wrapping `int` and `long`, or big integers.
trait Arith: Clone + PartialOrd {
    /// Strict `high` test (`r + m > 10s`) rather than inclusive.
    const STRICT: bool;
    fn pow(odd: u64, p: &Pow) -> Self;
    fn add(&self, other: &Self) -> Self;
    fn times10(&self) -> Self;
    /// How twice the remainder compares with `ten_s` (Java's `int`/`long` subtract and wrap).
    fn twice_vs(&self, ten_s: &Self) -> Ordering;
    /// `(self / by, self % by)`.
    fn div_rem(&self, by: &Self) -> (u8, Self);
    /// A margin Java's overflow check takes as past both bounds.
    fn overflowed(&self) -> bool;
}

macro_rules! java_int {
    ($t:ty) => {
        impl Arith for $t {
            const STRICT: bool = true;
            fn pow(odd: u64, p: &Pow) -> Self {
                (odd as $t)
                    .wrapping_mul((5 as $t).wrapping_pow(p.five as u32))
                    .wrapping_shl(p.two as u32)
            }
            fn add(&self, other: &Self) -> Self {
                self.wrapping_add(*other)
            }
            fn times10(&self) -> Self {
                self.wrapping_mul(10)
            }
            fn twice_vs(&self, ten_s: &Self) -> Ordering {
                self.wrapping_shl(1).wrapping_sub(*ten_s).cmp(&0)
            }
            fn div_rem(&self, by: &Self) -> (u8, Self) {
                ((self / by) as u8, self % by)
            }
            fn overflowed(&self) -> bool {
                *self <= 0
            }
        }
    };
}
java_int!(i32);
java_int!(i64);

impl Arith for BigUint {
    const STRICT: bool = false;
    fn pow(odd: u64, p: &Pow) -> Self {
        (BigUint::from(odd) * BigUint::from(5u32).pow(p.five as u32)) << (p.two as u32)
    }
    fn add(&self, other: &Self) -> Self {
        self + other
    }
    fn times10(&self) -> Self {
        self * 10u32
    }
    fn twice_vs(&self, ten_s: &Self) -> Ordering {
        (self << 1u32).cmp(ten_s)
    }
    fn div_rem(&self, by: &Self) -> (u8, Self) {
        let quotient = self / by;
        (quotient.to_u32_digits().first().copied().unwrap_or(0) as u8, self % by)
    }
    fn overflowed(&self) -> bool {
        false
    }
}

/// The digit loop: digits of `odd * r / s`, stopping once the rest is within the margin `m`.
fn generate<A: Arith>(odd: u64, r: &Pow, s: &Pow, m: &Pow, estimate: &mut i32) -> Run {
    let s_value = A::pow(1, s);
    let ten_s = s_value.times10();
    let mut rest = A::pow(odd, r);
    let mut margin = A::pow(1, m);
    let bounds = |rest: &A, margin: &A| {
        let low = rest < margin;
        let sum = rest.add(margin);
        let high = if A::STRICT { sum > ten_s } else { sum >= ten_s };
        (low, high)
    };
    let mut digits = Vec::with_capacity(20);
    let (first, left) = rest.div_rem(&s_value);
    rest = left.times10();
    margin = margin.times10();
    let (mut low, mut high) = bounds(&rest, &margin);
    if first == 0 && !high {
        // The estimate was one too high.
        *estimate -= 1;
    } else {
        digits.push(first);
    }
    if !(-3..8).contains(estimate) {
        (low, high) = (false, false);
    }
    while !low && !high {
        let (digit, left) = rest.div_rem(&s_value);
        rest = left.times10();
        margin = margin.times10();
        (low, high) = if margin.overflowed() {
            (true, true)
        } else {
            bounds(&rest, &margin)
        };
        digits.push(digit);
    }
    Run {
        digits,
        low,
        high,
        rest_vs_half: rest.twice_vs(&ten_s),
    }
}

/// Java's layout: plain from 10^-3 to below 10^7, else `d.ddddE±n`; always a digit after the
/// point.
fn layout(negative: bool, decimal: Decimal) -> String {
    let digits: String = decimal.digits.iter().map(|d| char::from(b'0' + d)).collect();
    let point = decimal.point;
    let sign = if negative { "-" } else { "" };
    if (1..8).contains(&point) {
        let point = point as usize;
        if digits.len() <= point {
            format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            format!("{sign}{}.{}", &digits[..point], &digits[point..])
        }
    } else if (-2..=0).contains(&point) {
        format!("{sign}0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{sign}{}.{rest}E{}", &digits[..1], point - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java_17_prints_them() {
        for (value, java) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1000.0, "1000.0"),
            (1.0e-6, "1.0E-6"),
            (0.001, "0.001"),
            (1.0e7, "1.0E7"),
            (9999999.0, "9999999.0"),
            (410492.645809, "410492.645809"),
            (60745.982089000005, "60745.982089000005"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (5e-324, "4.9E-324"),
            (f64::MAX, "1.7976931348623157E308"),
            // JDK 17 prints every digit of these integral doubles, unlike the shortest form.
            (f64::from_bits(0x437d91392474b400), "1.33159182966407168E17"),
            (f64::from_bits(0xc36b93642d5fef92), "-6.2095062707698832E16"),
            // ... and its digit loop stops elsewhere than the shortest form here.
            (f64::from_bits(0x45332437f2f65a73), "2.3140627844265366E25"),
            (f64::from_bits(0xc3f3af50b4c74a82), "-2.2695058320206078E19"),
        ] {
            assert_eq!(double_to_string(value), java, "{value:e}");
        }
    }

    #[test]
    fn floats_print_as_java_prints_them() {
        for (value, java) in [
            (0.1f32, "0.1"),
            (1.0e10f32, "1.0E10"),
            (3.4028235e38f32, "3.4028235E38"),
            (1.4e-45f32, "1.4E-45"),
            (100.5f32, "100.5"),
        ] {
            assert_eq!(float_to_string(value), java, "{value:e}");
        }
    }
}
