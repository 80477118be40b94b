//! The search's next rate: ramp up by a factor from the start rate until a step breaks (or
//! down, when the first one does), then bisect between the highest rate that held and the
//! lowest that broke until they lie within the precision (OpenMessaging Benchmark's way).

/// Where the search stands.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    start: f64,
    max: f64,
    factor: f64,
    /// `hi - lo` as a share of `lo` at which the search ends.
    precision: f64,
    held: Option<f64>,
    broken: Option<f64>,
    steps: usize,
}

/// No search takes more steps than this (a ramp from 1/s to a billion and a bisection to
/// a thousandth take under 50).
const MAX_STEPS: usize = 60;
/// Below this rate a search that only broke gives up: the pipeline sustains nothing.
const FLOOR: f64 = 1.0;

/// Why a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The highest held and the lowest broken rate lie within the precision.
    Bracketed,
    /// Every step held up to the configured maximum.
    ReachedMax,
    /// Even the floor broke.
    NothingHeld,
    TooManySteps,
}

impl Search {
    pub(crate) fn new(start: f64, max: f64, factor: f64, precision: f64) -> Self {
        Self {
            start,
            max,
            factor,
            precision,
            held: None,
            broken: None,
            steps: 0,
        }
    }

    /// The rate of the next step, or why the search is over.
    pub(crate) fn next(&self) -> Result<f64, Ended> {
        if self.steps >= MAX_STEPS {
            return Err(Ended::TooManySteps);
        }
        match (self.held, self.broken) {
            (None, None) => Ok(self.start),
            (Some(held), None) if held >= self.max => Err(Ended::ReachedMax),
            (Some(held), None) => Ok(round((held * self.factor).min(self.max))),
            (None, Some(broken)) if broken <= FLOOR => Err(Ended::NothingHeld),
            (None, Some(broken)) => Ok(round((broken / self.factor).max(FLOOR))),
            (Some(held), Some(broken)) => {
                let next = round((held + broken) / 2.0);
                if (broken - held) / held <= self.precision || next <= held || next >= broken {
                    Err(Ended::Bracketed)
                } else {
                    Ok(next)
                }
            }
        }
    }

    pub(crate) fn record(&mut self, rate: f64, held: bool) {
        self.steps += 1;
        if held {
            self.held = Some(self.held.map_or(rate, |h| h.max(rate)));
        } else {
            self.broken = Some(self.broken.map_or(rate, |b| b.min(rate)));
        }
    }

    /// The highest rate a step held at.
    pub(crate) fn held(&self) -> Option<f64> {
        self.held
    }

    /// The lowest rate a step broke at.
    pub(crate) fn broken(&self) -> Option<f64> {
        self.broken
    }
}

/// Whole messages per second above 10/s, so steps read as people write rates.
fn round(rate: f64) -> f64 {
    if rate >= 10.0 {
        rate.round()
    } else {
        (rate * 100.0).round() / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against a pipeline that holds up to `limit`.
    fn search(limit: f64, start: f64, max: f64) -> (Vec<f64>, Search, Ended) {
        let mut search = Search::new(start, max, 2.0, 0.03);
        let mut rates = Vec::new();
        loop {
            match search.next() {
                Ok(rate) => {
                    rates.push(rate);
                    search.record(rate, rate <= limit);
                }
                Err(ended) => return (rates, search, ended),
            }
        }
    }

    #[test]
    fn ramps_by_the_factor_then_bisects_to_the_precision() {
        let (rates, search, ended) = search(2_000.0, 500.0, 1e6);
        assert_eq!(&rates[..4], &[500.0, 1_000.0, 2_000.0, 4_000.0]);
        assert_eq!(rates[4], 3_000.0);
        assert_eq!(ended, Ended::Bracketed);
        let (held, broken) = (search.held().unwrap(), search.broken().unwrap());
        assert!(held <= 2_000.0 && broken > 2_000.0);
        assert!((broken - held) / held <= 0.03, "{held}..{broken}");
    }

    #[test]
    fn a_limit_below_the_start_is_found_by_ramping_down() {
        let (rates, search, ended) = search(300.0, 1_000.0, 1e6);
        assert_eq!(&rates[..3], &[1_000.0, 500.0, 250.0]);
        assert_eq!(ended, Ended::Bracketed);
        let held = search.held().unwrap();
        assert!((291.0..=300.0).contains(&held), "{held}");
    }

    #[test]
    fn the_search_stops_at_the_maximum_or_the_floor() {
        let (rates, search_at_max, ended) = search(1e9, 1_000.0, 5_000.0);
        assert_eq!(rates, vec![1_000.0, 2_000.0, 4_000.0, 5_000.0]);
        assert_eq!((ended, search_at_max.held()), (Ended::ReachedMax, Some(5_000.0)));
        let (_, nothing, ended) = search(0.0, 8.0, 100.0);
        assert_eq!((ended, nothing.held()), (Ended::NothingHeld, None));
    }
}
