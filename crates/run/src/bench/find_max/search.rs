//! The search's next rate: ramp up by a factor from the start rate until a step breaks (or
//! down, when the first one does), then bisect between the highest rate that held and the
//! lowest that broke until they lie within the precision (OpenMessaging Benchmark's way).
//! Near the limit a busy machine makes a step hold or break by chance (a stall of a second is
//! enough), so the bracketed highest held rate must hold again on its confirming steps before
//! it counts; one that breaks there counts as broken, and the search goes on below it.

/// Where the search stands.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    start: f64,
    max: f64,
    factor: f64,
    /// `hi - lo` as a share of `lo` at which the search ends.
    precision: f64,
    /// Steps the highest held rate must hold again once bracketed.
    confirmations: u32,
    /// Each rate that held and how many times, but none at or above a rate that broke.
    held: Vec<(f64, u32)>,
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
    pub(crate) fn new(start: f64, max: f64, factor: f64, precision: f64, confirmations: u32) -> Self {
        Self {
            start,
            max,
            factor,
            precision,
            confirmations,
            held: Vec::new(),
            broken: None,
            steps: 0,
        }
    }

    /// The rate of the next step, or why the search is over.
    pub(crate) fn next(&self) -> Result<f64, Ended> {
        if self.steps >= MAX_STEPS {
            return Err(Ended::TooManySteps);
        }
        match (self.held(), self.broken) {
            (None, None) => Ok(self.start),
            (Some(held), None) if held >= self.max => Err(Ended::ReachedMax),
            (Some(held), None) => Ok(round((held * self.factor).min(self.max))),
            (None, Some(broken)) if broken <= FLOOR => Err(Ended::NothingHeld),
            (None, Some(broken)) => Ok(round((broken / self.factor).max(FLOOR))),
            (Some(held), Some(broken)) => {
                let next = round((held + broken) / 2.0);
                if (broken - held) / held > self.precision && next > held && next < broken {
                    Ok(next)
                } else if self.times_held(held) <= self.confirmations {
                    Ok(held)
                } else {
                    Err(Ended::Bracketed)
                }
            }
        }
    }

    pub(crate) fn record(&mut self, rate: f64, held: bool) {
        self.steps += 1;
        if held {
            match self.held.iter_mut().find(|(r, _)| *r == rate) {
                Some((_, times)) => *times += 1,
                None => self.held.push((rate, 1)),
            }
        } else {
            let broken = self.broken.map_or(rate, |b| b.min(rate));
            self.broken = Some(broken);
            // A rate that held once and broke on its confirming step is not sustained.
            self.held.retain(|(r, _)| *r < broken);
        }
    }

    /// Whether the next step reruns a rate that already held, to confirm it.
    pub(crate) fn confirming(&self, rate: f64) -> bool {
        self.times_held(rate) > 0
    }

    fn times_held(&self, rate: f64) -> u32 {
        self.held
            .iter()
            .find(|(r, _)| *r == rate)
            .map_or(0, |(_, times)| *times)
    }

    /// The highest rate a step held at (and, once the search is bracketed, held again on
    /// every confirming step).
    pub(crate) fn held(&self) -> Option<f64> {
        self.held.iter().map(|(r, _)| *r).max_by(f64::total_cmp)
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

    /// Runs a search without confirming steps against a pipeline that holds up to `limit`.
    fn search(limit: f64, start: f64, max: f64) -> (Vec<f64>, Search, Ended) {
        search_with(Search::new(start, max, 2.0, 0.03, 0), |rate, _| rate <= limit)
    }

    /// Runs `search` against `holds(rate, times the rate ran before)`.
    fn search_with(mut search: Search, holds: impl Fn(f64, usize) -> bool) -> (Vec<f64>, Search, Ended) {
        let mut rates: Vec<f64> = Vec::new();
        loop {
            match search.next() {
                Ok(rate) => {
                    let before = rates.iter().filter(|r| **r == rate).count();
                    assert_eq!(
                        search.confirming(rate),
                        before > 0 && holds(rate, before - 1),
                        "{rates:?} {rate}"
                    );
                    rates.push(rate);
                    search.record(rate, holds(rate, before));
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

    #[test]
    fn the_bracketed_rate_is_confirmed_by_holding_again() {
        let steady = |rate: f64, _| rate <= 2_000.0;
        let (rates, confirmed, ended) = search_with(Search::new(500.0, 1e6, 2.0, 0.03, 1), steady);
        assert_eq!(ended, Ended::Bracketed);
        let held = confirmed.held().unwrap();
        let (last, before) = rates.split_last().unwrap();
        assert_eq!(*last, held, "{rates:?}");
        assert!(before.contains(&held), "{rates:?}");
        let (_, unconfirmed, _) = search(2_000.0, 500.0, 1e6);
        assert_eq!(unconfirmed.held(), Some(held));
    }

    #[test]
    fn a_rate_that_breaks_on_its_confirming_step_counts_as_broken() {
        // Up to 2000 holds; above it, up to 3000, holds only the first time.
        let flaky = |rate: f64, before: usize| rate <= 2_000.0 || (rate <= 3_000.0 && before == 0);
        let (rates, search, ended) = search_with(Search::new(500.0, 1e6, 2.0, 0.03, 1), flaky);
        assert_eq!(ended, Ended::Bracketed);
        let held = search.held().unwrap();
        assert!((2_000.0 / 1.03..=2_000.0).contains(&held), "{held} {rates:?}");
        assert!(search.broken().unwrap() <= 3_000.0, "{rates:?}");
        assert_eq!(rates.iter().filter(|r| **r == held).count(), 2, "{rates:?}");
        // Without confirming steps the search stops at the first lucky rate.
        let once = Search::new(500.0, 1e6, 2.0, 0.03, 0);
        let (_, unconfirmed, _) = search_with(once, flaky);
        assert!(unconfirmed.held().unwrap() > 2_000.0);
    }

    #[test]
    fn a_first_rate_that_breaks_on_its_confirming_step_ramps_down() {
        // The start rate holds once and never again; up to 600 holds.
        let flaky = |rate: f64, before: usize| rate <= 600.0 || (rate == 1_000.0 && before == 0);
        let (rates, search, ended) = search_with(Search::new(1_000.0, 1e6, 2.0, 0.03, 1), flaky);
        assert_eq!(&rates[..4], &[1_000.0, 2_000.0, 1_500.0, 1_250.0], "{rates:?}");
        let rerun = rates.iter().rposition(|r| *r == 1_000.0).unwrap();
        assert!(rerun > 0 && rates[rerun + 1] == 500.0, "{rates:?}");
        assert_eq!(ended, Ended::Bracketed);
        let held = search.held().unwrap();
        assert!((600.0 / 1.03..=600.0).contains(&held), "{rates:?}");
        assert!(search.broken().unwrap() > 600.0, "{rates:?}");
    }
}
