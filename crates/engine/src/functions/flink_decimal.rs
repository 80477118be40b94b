//! Flink's DECIMAL arithmetic: each operation's result type (`LogicalTypeMerging`: at most 38
//! digits, keeping at least 6 fraction digits when it must cut) and its rounding (half up to
//! that scale; a quotient first to 34 significant digits, half even, as Java's
//! `MathContext.DECIMAL128`). A value past its precision is NULL, as in Flink.

use num_bigint::{BigInt, Sign};

const MAX_PRECISION: i32 = 38;
const MIN_ADJUSTED_SCALE: i32 = 6;

/// A value `unscaled * 10^-scale` of type DECIMAL(precision, scale).
#[derive(Debug, Clone, PartialEq)]
pub struct Decimal {
    pub unscaled: BigInt,
    pub precision: i32,
    pub scale: i32,
}

/// The type a result of `precision` and `scale` gets: cut to 38 digits, losing fraction digits
/// first but keeping at least 6 (or as many as it had).
fn adjust(precision: i32, scale: i32) -> (i32, i32) {
    if precision <= MAX_PRECISION {
        return (precision.max(1), scale);
    }
    let whole = precision - scale;
    let scale = (MAX_PRECISION - whole).max(scale.min(MIN_ADJUSTED_SCALE));
    (MAX_PRECISION, scale)
}

impl Decimal {
    pub fn new(unscaled: impl Into<BigInt>, precision: i32, scale: i32) -> Self {
        Self {
            unscaled: unscaled.into(),
            precision,
            scale,
        }
    }

    /// An integer as Flink widens a BIGINT: DECIMAL(19, 0).
    pub fn of_bigint(value: i64) -> Self {
        Self::new(value, 19, 0)
    }

    pub fn multiply(&self, other: &Self) -> Option<Self> {
        let (precision, scale) = adjust(self.precision + other.precision + 1, self.scale + other.scale);
        Self::new(
            &self.unscaled * &other.unscaled,
            MAX_PRECISION,
            self.scale + other.scale,
        )
        .to_type(precision, scale)
    }

    pub fn subtract(&self, other: &Self) -> Option<Self> {
        let scale = self.scale.max(other.scale);
        let whole = (self.precision - self.scale).max(other.precision - other.scale);
        let (precision, result_scale) = adjust(whole + scale + 1, scale);
        let difference = self.rescaled_exact(scale) - other.rescaled_exact(scale);
        Self::new(difference, MAX_PRECISION, scale).to_type(precision, result_scale)
    }

    pub fn divide(&self, other: &Self) -> Option<Self> {
        if other.unscaled.sign() == Sign::NoSign {
            return None;
        }
        let scale = MIN_ADJUSTED_SCALE.max(self.scale + other.precision + 1);
        let (precision, scale) = adjust(self.precision - self.scale + other.scale + scale, scale);
        // The quotient to 34 significant digits, half even, then to the type.
        let quotient = decimal128_quotient(&self.unscaled, self.scale, &other.unscaled, other.scale);
        quotient.to_type(precision, scale)
    }

    /// This value at `scale`, which is at least its own.
    fn rescaled_exact(&self, scale: i32) -> BigInt {
        &self.unscaled * BigInt::from(10).pow((scale - self.scale) as u32)
    }

    /// Rounded half up to `scale`; NULL past `precision` digits.
    pub fn to_type(&self, precision: i32, scale: i32) -> Option<Self> {
        let unscaled = rescale_half_up(&self.unscaled, self.scale, scale);
        let digits = unscaled.magnitude().to_string().len() as i32;
        (unscaled.sign() == Sign::NoSign || digits <= precision).then(|| Self::new(unscaled, precision, scale))
    }

    pub fn to_f64(&self) -> f64 {
        format!("{}e{}", self.unscaled, -self.scale).parse().unwrap_or(f64::NAN)
    }

    /// `i128` for an Arrow Decimal128.
    pub fn to_i128(&self) -> Option<i128> {
        i128::try_from(&self.unscaled).ok()
    }
}

fn rescale_half_up(unscaled: &BigInt, from: i32, to: i32) -> BigInt {
    if to >= from {
        return unscaled * BigInt::from(10).pow((to - from) as u32);
    }
    let unit = BigInt::from(10).pow((from - to) as u32);
    let (quotient, rest) = (unscaled / &unit, unscaled % &unit);
    if rest.magnitude() * 2u32 >= *unit.magnitude() {
        quotient + if unscaled.sign() == Sign::Minus { -1 } else { 1 }
    } else {
        quotient
    }
}

/// `a / b` to 34 significant digits, rounded half even, as a decimal of the digits' scale.
fn decimal128_quotient(a: &BigInt, a_scale: i32, b: &BigInt, b_scale: i32) -> Decimal {
    const DIGITS: i32 = 34;
    // Enough fraction digits that the quotient has more than 34 significant digits, then round.
    let a_digits = a.magnitude().to_string().len() as i32;
    let b_digits = b.magnitude().to_string().len() as i32;
    let extra = (DIGITS + 2 - (a_digits - b_digits)).max(0);
    let numerator = a * BigInt::from(10).pow(extra as u32);
    let (quotient, rest) = (&numerator / b, &numerator % b);
    let scale = a_scale - b_scale + extra;
    let exact = rest.sign() == Sign::NoSign;
    let digits = quotient.magnitude().to_string().len() as i32;
    let drop = digits - DIGITS;
    if drop <= 0 {
        return Decimal::new(quotient, MAX_PRECISION, scale);
    }
    let unit = BigInt::from(10).pow(drop as u32);
    let (kept, dropped) = (&quotient / &unit, &quotient % &unit);
    let twice = dropped.magnitude() * 2u32;
    let half = unit.magnitude();
    let up = match twice.cmp(half) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        // Exactly half only if nothing was left over below the dropped digits either.
        std::cmp::Ordering::Equal => !exact || kept.magnitude() % 2u32 == 1u32.into(),
    };
    let sign = if (a.sign() == Sign::Minus) != (b.sign() == Sign::Minus) {
        -1
    } else {
        1
    };
    let kept = if up { kept + sign } else { kept };
    Decimal::new(kept, MAX_PRECISION, scale - drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_flinks_rules() {
        assert_eq!(adjust(21, 4), (21, 4));
        assert_eq!(adjust(77, 12), (38, 6));
        assert_eq!(adjust(58, 26), (38, 6));
    }

    #[test]
    fn quotients_round_half_up_at_the_scale() {
        let two_thirds = Decimal::new(2, 38, 0).divide(&Decimal::of_bigint(3)).unwrap();
        assert_eq!((two_thirds.unscaled, two_thirds.scale), (BigInt::from(666667), 6));
        let minus = Decimal::new(-2, 38, 0).divide(&Decimal::of_bigint(3)).unwrap();
        assert_eq!(minus.unscaled, BigInt::from(-666667));
    }
}
