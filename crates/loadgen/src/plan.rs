//! The rate plan: a base rate, a duration, an optional message cap, and a traffic pattern in one
//! of two forms:
//!
//! - multipliers over windows: `30s-60s:300%,90s-120s:200%` (the base rate elsewhere);
//! - rate points: `0:1000,300:10000,600:5000` (seconds:messages per second, each rate holding
//!   until the next point; the base rate before the first).
//!
//! The plan becomes phases of constant rate, and each message gets an intended send time.

use std::fmt;
use std::time::Duration;

use pipegen_config::Rate;

/// A stretch of the run at one rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub start: Duration,
    pub end: Duration,
    pub rate: Rate,
    /// What set this phase's rate: "base", "300%", "point".
    pub origin: String,
}

impl Phase {
    /// Messages this phase schedules (`None` at `max`, where only the sink decides).
    pub fn planned(&self) -> Option<u64> {
        self.planned_before(self.end)
    }

    /// Messages of this phase whose intended time is before `t`.
    fn planned_before(&self, t: Duration) -> Option<u64> {
        let Rate::PerSecond(rate) = self.rate else { return None };
        let t = t.clamp(self.start, self.end);
        Some(count_below((t - self.start).as_secs_f64() * rate))
    }
}

/// The number of non-negative integers k with k < x (guarding against x = 2.9999999).
fn count_below(x: f64) -> u64 {
    let rounded = x.round();
    if (x - rounded).abs() < 1e-9 {
        rounded as u64
    } else {
        x.ceil() as u64
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RatePlan {
    pub base: Rate,
    pub duration: Duration,
    /// Stop after this many messages, if that comes before the end of `duration`.
    pub messages: Option<u64>,
    pub phases: Vec<Phase>,
}

/// A traffic pattern or rate plan that cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PlanError {
    pub message: String,
    pub hint: String,
}

fn plan_error(message: impl Into<String>, hint: impl Into<String>) -> PlanError {
    PlanError {
        message: message.into(),
        hint: hint.into(),
    }
}

impl RatePlan {
    pub fn new(
        base: Rate,
        duration: Duration,
        messages: Option<u64>,
        pattern: Option<&str>,
    ) -> Result<Self, PlanError> {
        if duration.is_zero() {
            return Err(plan_error("the duration is 0", "give a duration such as 30s"));
        }
        if messages == Some(0) {
            return Err(plan_error(
                "--messages is 0",
                "ask for at least one message, or leave it out",
            ));
        }
        if let Rate::PerSecond(r) = base
            && !(r.is_finite() && r > 0.0)
        {
            return Err(plan_error(
                format!("the rate {r} is not positive"),
                "give messages per second, e.g. 1000",
            ));
        }
        let phases = match pattern.map(str::trim).filter(|p| !p.is_empty()) {
            None => vec![Phase {
                start: Duration::ZERO,
                end: duration,
                rate: base,
                origin: "base".into(),
            }],
            Some(pattern) => pattern_phases(pattern, base, duration)?,
        };
        Ok(Self {
            base,
            duration,
            messages,
            phases,
        })
    }

    /// A plan for `messages` with no duration given: it lasts until the rate plan has
    /// scheduled them all (`--messages 1000000 --rate 10000` runs 100 s). Phases of the pattern
    /// that start after that are never reached: they are left out and returned, so the caller
    /// can say so.
    pub fn until_messages(base: Rate, messages: u64, pattern: Option<&str>) -> Result<(Self, Vec<Phase>), PlanError> {
        // Long enough for any pattern a run means to reach; the search below finds the end.
        const HORIZON: Duration = Duration::from_secs(30 * 24 * 3600);
        let mut plan = Self::new(base, HORIZON, Some(messages), pattern)?;
        let scheduled_by = |secs: u64| plan.planned_between(Duration::ZERO, Duration::from_secs(secs));
        match scheduled_by(HORIZON.as_secs()) {
            None => {
                return Err(plan_error(
                    format!("a run of {messages} messages at rate max has no planned end"),
                    "give a duration as well (the run stops at whichever comes first), or a rate",
                ));
            }
            Some(n) if n < messages => {
                return Err(plan_error(
                    format!("{messages} messages take longer than 30 days at this rate"),
                    "raise the rate or send fewer messages",
                ));
            }
            Some(_) => {}
        }
        // The first whole second by which every message has its intended send time.
        let (mut low, mut high) = (0, HORIZON.as_secs());
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if scheduled_by(middle).is_some_and(|n| n >= messages) {
                high = middle;
            } else {
                low = middle;
            }
        }
        plan.duration = Duration::from_secs(high);
        let end = plan.duration;
        let (kept, unreached): (Vec<Phase>, Vec<Phase>) = plan.phases.into_iter().partition(|p| p.start < end);
        plan.phases = kept;
        if let Some(last) = plan.phases.last_mut() {
            last.end = last.end.min(end);
        }
        Ok((plan, unreached))
    }

    /// The messages the plan sends, if the rate is never `max`.
    pub fn planned_total(&self) -> Option<u64> {
        let scheduled = self
            .phases
            .iter()
            .try_fold(0u64, |total, phase| Some(total.saturating_add(phase.planned()?)));
        match (scheduled, self.messages) {
            (Some(s), Some(cap)) => Some(s.min(cap)),
            (Some(s), None) => Some(s),
            (None, cap) => cap,
        }
    }

    /// Messages intended in `[from, to)`, before the message cap.
    pub fn planned_between(&self, from: Duration, to: Duration) -> Option<u64> {
        self.phases.iter().try_fold(0u64, |total, p| {
            Some(total.saturating_add(p.planned_before(to)?.saturating_sub(p.planned_before(from)?)))
        })
    }

    /// The target rate at `t`.
    pub fn rate_at(&self, t: Duration) -> Rate {
        self.phases
            .iter()
            .find(|p| p.start <= t && t < p.end)
            .map_or(self.base, |p| p.rate)
    }

    /// Every message's intended offset from the start, in order (capped by `messages`). At
    /// `max` a phase yields no times: it is sent as fast as the sink takes it.
    pub fn schedule(&self) -> Schedule<'_> {
        Schedule {
            plan: self,
            phase: 0,
            index_in_phase: 0,
            emitted: 0,
        }
    }
}

/// When a message is meant to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// At this offset from the start of the run.
    At(Duration),
    /// As fast as possible until this offset (a `max` phase).
    Unpaced { until: Duration },
}

pub struct Schedule<'a> {
    plan: &'a RatePlan,
    phase: usize,
    index_in_phase: u64,
    emitted: u64,
}

impl Iterator for Schedule<'_> {
    type Item = Slot;

    fn next(&mut self) -> Option<Slot> {
        if self.plan.messages.is_some_and(|cap| self.emitted >= cap) {
            return None;
        }
        loop {
            let phase = self.plan.phases.get(self.phase)?;
            match phase.rate {
                Rate::Max => {
                    self.emitted += 1;
                    return Some(Slot::Unpaced { until: phase.end });
                }
                Rate::PerSecond(rate) => {
                    if self.index_in_phase < phase.planned().unwrap_or(0) {
                        let offset = phase.start + Duration::from_secs_f64(self.index_in_phase as f64 / rate);
                        self.index_in_phase += 1;
                        self.emitted += 1;
                        return Some(Slot::At(offset));
                    }
                    self.phase += 1;
                    self.index_in_phase = 0;
                }
            }
        }
    }
}

impl Schedule<'_> {
    /// Moves past the current `max` phase (its time is up), giving back the slot just drawn.
    pub fn end_unpaced_phase(&mut self) {
        self.phase += 1;
        self.index_in_phase = 0;
        self.emitted = self.emitted.saturating_sub(1);
    }
}

fn pattern_phases(pattern: &str, base: Rate, duration: Duration) -> Result<Vec<Phase>, PlanError> {
    let entries: Vec<&str> = pattern.split(',').map(str::trim).collect();
    let multipliers = entries.iter().any(|e| e.contains('%') || is_window(e));
    if multipliers {
        multiplier_phases(&entries, base, duration)
    } else {
        point_phases(&entries, base, duration)
    }
}

/// `30s-60s:...`: the part before `:` is a range.
fn is_window(entry: &str) -> bool {
    entry
        .split(':')
        .next()
        .is_some_and(|t| t.trim_start_matches('-').contains('-'))
}

fn parse_time(text: &str, entry: &str) -> Result<Duration, PlanError> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u64>().map(Duration::from_secs).map_err(|_| {
            plan_error(
                format!("`{text}` in `{entry}` is too large"),
                "times are seconds or durations",
            )
        });
    }
    text.parse::<pipegen_config::Duration>()
        .map(|d| d.as_std())
        .map_err(|e| {
            plan_error(
                format!("bad time `{text}` in `{entry}`: {e}"),
                "write times as seconds (90) or durations (90s, 1m30s)",
            )
        })
}

fn multiplier_phases(entries: &[&str], base: Rate, duration: Duration) -> Result<Vec<Phase>, PlanError> {
    let Rate::PerSecond(base_rate) = base else {
        return Err(plan_error(
            "percentages need a base rate, but the rate is max",
            "give a base rate with --rate, or use rate points (0:1000,60:5000)",
        ));
    };
    const FORM: &str = "write windows as start-end:percent, e.g. 30s-60s:300%";
    let mut windows = Vec::new();
    for entry in entries {
        let (range, percent) = entry
            .split_once(':')
            .ok_or_else(|| plan_error(format!("`{entry}` has no `:`"), FORM))?;
        let (from, to) = range
            .split_once('-')
            .ok_or_else(|| plan_error(format!("`{entry}` is not a window (start-end)"), FORM))?;
        let (from, to) = (parse_time(from, entry)?, parse_time(to, entry)?);
        let number = percent
            .trim()
            .strip_suffix('%')
            .ok_or_else(|| plan_error(format!("`{entry}`: the percentage has no `%`"), FORM))?;
        let percent: f64 = number
            .trim()
            .parse()
            .map_err(|_| plan_error(format!("`{entry}`: `{number}` is not a number"), FORM))?;
        if !(percent.is_finite() && percent > 0.0) {
            return Err(plan_error(
                format!("`{entry}`: the percentage must be above 0"),
                "use 50% to halve, 300% to triple",
            ));
        }
        if from >= to {
            return Err(plan_error(format!("`{entry}`: the window ends before it starts"), FORM));
        }
        if to > duration {
            return Err(plan_error(
                format!("`{entry}` ends after the run ({})", pipegen_config::Duration(duration)),
                "lengthen --duration or end the window earlier",
            ));
        }
        windows.push((from, to, percent, *entry));
    }
    windows.sort_by_key(|w| w.0);
    for pair in windows.windows(2) {
        if pair[1].0 < pair[0].1 {
            return Err(plan_error(
                format!("`{}` overlaps `{}`", pair[1].3, pair[0].3),
                "windows must not overlap",
            ));
        }
    }
    let mut phases = Vec::new();
    let mut at = Duration::ZERO;
    for (from, to, percent, entry) in windows {
        if from > at {
            phases.push(base_phase(at, from, base));
        }
        let rate = Rate::per_second(base_rate * percent / 100.0)
            .map_err(|e| plan_error(format!("`{entry}`: {e}"), "use a smaller percentage"))?;
        phases.push(Phase {
            start: from,
            end: to,
            rate,
            origin: format!("{percent}%"),
        });
        at = to;
    }
    if at < duration {
        phases.push(base_phase(at, duration, base));
    }
    Ok(phases)
}

fn point_phases(entries: &[&str], base: Rate, duration: Duration) -> Result<Vec<Phase>, PlanError> {
    const FORM: &str = "write rate points as seconds:rate, e.g. 0:1000,300:10000";
    let mut points: Vec<(Duration, f64)> = Vec::new();
    for entry in entries {
        let (time, rate) = entry
            .split_once(':')
            .ok_or_else(|| plan_error(format!("`{entry}` has no `:`"), FORM))?;
        let time = parse_time(time, entry)?;
        let rate: f64 = rate
            .trim()
            .parse()
            .map_err(|_| plan_error(format!("`{entry}`: `{}` is not a rate", rate.trim()), FORM))?;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(plan_error(format!("`{entry}`: the rate must be above 0"), FORM));
        }
        Rate::per_second(rate).map_err(|e| plan_error(format!("`{entry}`: {e}"), FORM))?;
        if time >= duration {
            return Err(plan_error(
                format!(
                    "`{entry}` starts at or after the end of the run ({})",
                    pipegen_config::Duration(duration)
                ),
                "lengthen --duration or move the point earlier",
            ));
        }
        if points.last().is_some_and(|(last, _)| time <= *last) {
            return Err(plan_error(
                format!("`{entry}` is not after the point before it"),
                "list points in increasing time",
            ));
        }
        points.push((time, rate));
    }
    let mut phases = Vec::new();
    if let Some((first, _)) = points.first()
        && !first.is_zero()
    {
        phases.push(base_phase(Duration::ZERO, *first, base));
    }
    for (i, (time, rate)) in points.iter().enumerate() {
        let end = points.get(i + 1).map_or(duration, |(next, _)| *next);
        phases.push(Phase {
            start: *time,
            end,
            rate: Rate::PerSecond(*rate),
            origin: "point".into(),
        });
    }
    Ok(phases)
}

fn base_phase(start: Duration, end: Duration, base: Rate) -> Phase {
    Phase {
        start,
        end,
        rate: base,
        origin: "base".into(),
    }
}

impl fmt::Display for RatePlan {
    /// The plan as a table, for `run --dry-run`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<8} {:>10} {:>10} {:>14} {:>12}",
            "phase", "from", "to", "rate (msg/s)", "messages"
        )?;
        for phase in &self.phases {
            let planned = phase.planned().map_or("as many as fit".to_owned(), |n| n.to_string());
            writeln!(
                f,
                "{:<8} {:>10} {:>10} {:>14} {:>12}",
                phase.origin,
                pipegen_config::Duration(phase.start).to_string(),
                pipegen_config::Duration(phase.end).to_string(),
                phase.rate.to_string(),
                planned
            )?;
        }
        match (self.planned_total(), self.messages) {
            (Some(total), Some(cap)) if total == cap => {
                write!(f, "expected total: {total} messages (the message count asked for)")
            }
            (Some(total), _) => write!(f, "expected total: {total} messages"),
            (None, _) => write!(
                f,
                "expected total: as many as the sink takes in {}",
                pipegen_config::Duration(self.duration)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_too_high_to_plan_are_refused_not_overflowed() {
        let base = Rate::PerSecond(1000.0);
        let err = RatePlan::new(base, Duration::from_secs(2), None, Some("1s-2s:1e300%")).unwrap_err();
        assert!(
            err.message.contains("1s-2s:1e300%") && err.message.contains("highest"),
            "{err:?}"
        );
        let err = RatePlan::new(base, Duration::from_secs(2), None, Some("0:1000,1:1e300")).unwrap_err();
        assert!(err.message.contains("highest"), "{err:?}");
        // At the highest rate a long run's total saturates instead of wrapping.
        let plan = RatePlan::new(
            Rate::PerSecond(Rate::MAX_PER_SECOND),
            Duration::from_secs(u64::MAX / 4),
            None,
            None,
        )
        .unwrap();
        assert!(plan.planned_total().unwrap() >= u64::MAX / 2);
    }

    #[test]
    fn without_a_duration_a_plan_of_n_messages_lasts_until_they_are_sent() {
        let (plan, unreached) = RatePlan::until_messages(Rate::PerSecond(10_000.0), 1_000_000, None).unwrap();
        assert_eq!(plan.duration, Duration::from_secs(100));
        assert_eq!(plan.planned_total(), Some(1_000_000));
        assert!(unreached.is_empty());

        // The performance guide's load test: 300 s at 1000/s, then 10000/s; the millionth
        // message is due at 370 s, so the points at 600 s and 900 s are never reached.
        let (plan, unreached) = RatePlan::until_messages(
            Rate::PerSecond(10_000.0),
            1_000_000,
            Some("0:1000,300:10000,600:5000,900:15000"),
        )
        .unwrap();
        assert_eq!(plan.duration, Duration::from_secs(370));
        assert_eq!(plan.planned_total(), Some(1_000_000));
        assert_eq!(plan.phases.len(), 2);
        assert_eq!(plan.phases[1].end, Duration::from_secs(370));
        let starts: Vec<u64> = unreached.iter().map(|p| p.start.as_secs()).collect();
        assert_eq!(starts, [600, 900]);

        // A fraction of a second rounds up to the whole second.
        let (plan, _) = RatePlan::until_messages(Rate::PerSecond(3.0), 10, None).unwrap();
        assert_eq!(plan.duration, Duration::from_secs(4));

        assert!(RatePlan::until_messages(Rate::Max, 10, None).is_err());
        assert!(RatePlan::until_messages(Rate::PerSecond(0.001), u64::MAX / 2, None).is_err());
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn plan(rate: f64, duration: u64, pattern: Option<&str>) -> Result<RatePlan, PlanError> {
        RatePlan::new(Rate::PerSecond(rate), secs(duration), None, pattern)
    }

    #[test]
    fn constant_rate() {
        let p = plan(100.0, 30, None).unwrap();
        assert_eq!(p.planned_total(), Some(3000));
        assert_eq!(p.planned_between(secs(5), secs(6)), Some(100));
        let times: Vec<Slot> = p.schedule().take(3).collect();
        assert_eq!(
            times,
            [
                Slot::At(Duration::ZERO),
                Slot::At(Duration::from_millis(10)),
                Slot::At(Duration::from_millis(20))
            ]
        );
    }

    #[test]
    fn fractional_rates_and_caps() {
        let p = plan(0.5, 3, None).unwrap();
        assert_eq!(p.planned_total(), Some(2));
        assert_eq!(p.schedule().collect::<Vec<_>>(), [Slot::At(secs(0)), Slot::At(secs(2))]);
        let p = RatePlan::new(Rate::PerSecond(1000.0), secs(60), Some(500), None).unwrap();
        assert_eq!(p.planned_total(), Some(500));
        assert_eq!(p.schedule().count(), 500);
    }

    #[test]
    fn multipliers_match_the_original_tools_examples() {
        let p = plan(100.0, 150, Some("30s-60s:300%,90s-120s:200%")).unwrap();
        let rate = |t| match p.rate_at(secs(t)) {
            Rate::PerSecond(r) => r,
            Rate::Max => f64::NAN,
        };
        assert_eq!(
            [rate(15), rate(45), rate(75), rate(105), rate(149)],
            [100.0, 300.0, 100.0, 200.0, 100.0]
        );
        assert_eq!(p.phases.len(), 5);
        assert_eq!(
            p.planned_total(),
            Some(30 * 100 + 30 * 300 + 30 * 100 + 30 * 200 + 30 * 100)
        );
        assert_eq!(p.planned_between(secs(2), secs(3)), Some(100));
        assert_eq!(p.planned_between(secs(31), secs(32)), Some(300));
    }

    #[test]
    fn spike_windows_are_exact() {
        let p = plan(50_000.0, 10, Some("2s-4s:300%")).unwrap();
        let per_second: Vec<u64> = (0..10)
            .map(|s| p.planned_between(secs(s), secs(s + 1)).unwrap())
            .collect();
        assert_eq!(
            per_second,
            [
                50_000, 50_000, 150_000, 150_000, 50_000, 50_000, 50_000, 50_000, 50_000, 50_000
            ]
        );
        assert_eq!(p.schedule().count() as u64, p.planned_total().unwrap());
    }

    #[test]
    fn rate_points() {
        let p = plan(10.0, 900, Some("0:1000,300:10000,600:5000")).unwrap();
        assert_eq!(p.phases.len(), 3);
        assert_eq!(p.planned_total(), Some(300 * 1000 + 300 * 10_000 + 300 * 5000));
        let p = plan(10.0, 60, Some("30:100")).unwrap();
        assert_eq!(p.phases[0].origin, "base");
        assert_eq!(p.planned_total(), Some(30 * 10 + 30 * 100));
        let p = plan(10.0, 120, Some("0:5,1m:50")).unwrap();
        assert_eq!(p.phases[1].start, secs(60));
    }

    #[test]
    fn bad_patterns_say_why() {
        let cases = [
            ("30s-50s:300%,40s-55s:200%", "overlaps"),
            ("30s-90s:300%", "ends after the run"),
            ("30s-60s:300", "no `%`"),
            ("30x-60s:300%", "bad time"),
            ("60s-30s:300%", "ends before it starts"),
            ("30s-40s:0%", "above 0"),
            ("30s-40s:-5%", "above 0"),
            ("0:100,0:200", "not after"),
            ("0:100,90:200", "at or after the end"),
            ("0:-5", "above 0"),
            ("0:fast", "not a rate"),
            ("30s", "no `:`"),
        ];
        for (pattern, expected) in cases {
            let err = plan(100.0, 60, Some(pattern)).unwrap_err();
            assert!(err.message.contains(expected), "{pattern}: {err:?}");
            assert!(!err.hint.is_empty());
        }
        assert!(RatePlan::new(Rate::Max, secs(10), None, Some("2s-4s:300%")).is_err());
        assert!(plan(0.0, 10, None).is_err());
        assert!(RatePlan::new(Rate::PerSecond(1.0), Duration::ZERO, None, None).is_err());
    }

    #[test]
    fn max_rate_is_unpaced_and_unplanned() {
        let p = RatePlan::new(Rate::Max, secs(5), None, None).unwrap();
        assert_eq!(p.planned_total(), None);
        assert_eq!(p.schedule().next(), Some(Slot::Unpaced { until: secs(5) }));
        let p = RatePlan::new(Rate::Max, secs(5), Some(10), None).unwrap();
        assert_eq!(p.planned_total(), Some(10));
        assert_eq!(p.schedule().count(), 10);
    }

    #[test]
    fn dry_run_table() {
        let shown = plan(100.0, 90, Some("30s-60s:300%")).unwrap().to_string();
        assert!(shown.contains("300%"), "{shown}");
        assert!(shown.ends_with("expected total: 15000 messages"), "{shown}");
    }

    proptest::proptest! {
        #[test]
        fn schedule_agrees_with_the_plan(rate in 0.1f64..2000.0, duration in 1u64..20, spike in 1u64..5) {
            let pattern = format!("0s-{spike}s:250%");
            let p = plan(rate, duration.max(spike), Some(&pattern)).unwrap();
            let times: Vec<Slot> = p.schedule().collect();
            proptest::prop_assert_eq!(times.len() as u64, p.planned_total().unwrap());
            let increasing = times.windows(2).all(|w| match (w[0], w[1]) {
                (Slot::At(a), Slot::At(b)) => a < b,
                _ => false,
            });
            proptest::prop_assert!(increasing);
            let seconds = p.duration.as_secs();
            let by_second: u64 = (0..seconds).map(|s| p.planned_between(secs(s), secs(s + 1)).unwrap()).sum();
            proptest::prop_assert_eq!(by_second, p.planned_total().unwrap());
        }

        #[test]
        fn parsing_never_panics(pattern in "[0-9smh%:,. -]{0,30}") {
            let _ = plan(100.0, 60, Some(&pattern));
        }
    }
}
