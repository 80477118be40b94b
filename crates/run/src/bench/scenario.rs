//! A benchmark scenario as a run: its load (rate, messages, duration, traffic pattern) over the
//! project's run settings, and the rate plan that load makes. Every scenario is planned before
//! the first one starts, so a typo in the last one is found in a second, not after the others
//! have run for twenty minutes.

use std::time::Duration;

use pipegen_config::{BenchmarkScenario, KeyPath, Rate, ResolvedConfig};
use pipegen_diag::Diagnostic;
use pipegen_loadgen::plan::{Phase, RatePlan};

/// One scenario, ready to run.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    pub name: String,
    /// The project's configuration with the scenario's load in the `run` section.
    pub config: ResolvedConfig,
    pub plan: RatePlan,
    pub latency_target: Option<Duration>,
    /// Phases of the pattern the scenario's messages are all sent before.
    pub unreached: Vec<Phase>,
}

/// The scenarios of the `benchmark` section (only `only`, when given), each planned.
///
/// A scenario's load is its own: the rate falls back to `run.message_rate`, the duration to
/// `run.duration` only when the scenario gives no duration and no message count (with messages
/// alone it lasts until they are sent, except at rate `max`), and the project's traffic pattern, message
/// cap and expected result count, made for the project's own run, do not apply.
pub fn plan_scenarios(resolved: &ResolvedConfig, only: Option<&str>) -> Result<Vec<ScenarioRun>, Vec<Diagnostic>> {
    let scenarios = &resolved.config.benchmark.scenarios;
    let origin = resolved.origin(&KeyPath::parse("benchmark.scenarios"));
    if scenarios.is_empty() {
        return Err(vec![
            Diagnostic::error("no benchmark scenarios are configured").with_hint(
                "add a `benchmark: scenarios:` list to .pipegen.yaml or to a file given with --config, e.g.\n  \
                 benchmark:\n    scenarios:\n      - name: high_throughput\n        rate: 50000\n        duration: 10m\n        \
                 latency_target: 100ms",
            ),
        ]);
    }
    let mut problems = Vec::new();
    for (i, scenario) in scenarios.iter().enumerate() {
        if scenario.name.trim().is_empty() {
            problems.push(
                Diagnostic::error(format!("benchmark scenario {} has no name", i + 1))
                    .with_hint(format!("give each scenario a `name` (set in {origin})")),
            );
        } else if scenarios[..i].iter().any(|s| s.name == scenario.name) {
            problems.push(
                Diagnostic::error(format!("two benchmark scenarios are named `{}`", scenario.name)).with_hint(format!(
                    "names pick scenarios with --scenario: make them unique (set in {origin})"
                )),
            );
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let chosen: Vec<&BenchmarkScenario> = match only {
        None => scenarios.iter().collect(),
        Some(name) => {
            let found: Vec<_> = scenarios.iter().filter(|s| s.name == name).collect();
            if found.is_empty() {
                let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
                return Err(vec![
                    Diagnostic::error(format!("no benchmark scenario is named `{name}`"))
                        .with_hint(format!("the scenarios are: {} (set in {origin})", names.join(", "))),
                ]);
            }
            found
        }
    };
    let mut runs = Vec::new();
    for scenario in chosen {
        match plan_scenario(resolved, scenario) {
            Ok(run) => runs.push(run),
            Err(e) => problems.push(
                Diagnostic::error(format!("benchmark scenario `{}`: {}", scenario.name, e.message))
                    .with_hint(format!("{} (set in {origin})", e.hint)),
            ),
        }
    }
    if problems.is_empty() { Ok(runs) } else { Err(problems) }
}

/// One scenario's configuration and rate plan (also each step of a capacity search).
pub(crate) fn plan_scenario(
    resolved: &ResolvedConfig,
    scenario: &BenchmarkScenario,
) -> Result<ScenarioRun, pipegen_loadgen::plan::PlanError> {
    let mut config = resolved.clone();
    let run = &mut config.config.run;
    run.message_rate = scenario.rate.unwrap_or(run.message_rate);
    run.messages = scenario.messages;
    run.traffic_pattern = scenario.traffic_pattern.clone();
    run.expected_messages = None;
    let pattern = run.traffic_pattern.as_deref();
    let (plan, unreached) = match (scenario.messages, scenario.duration) {
        // At rate `max` nothing but a duration says how long sending them may take.
        (Some(messages), None) if run.message_rate != Rate::Max => {
            RatePlan::until_messages(run.message_rate, messages, pattern)?
        }
        (messages, duration) => {
            if let Some(duration) = duration {
                run.duration = duration;
            }
            (
                RatePlan::new(run.message_rate, run.duration.as_std(), messages, pattern)?,
                Vec::new(),
            )
        }
    };
    run.duration = pipegen_config::Duration(plan.duration);
    Ok(ScenarioRun {
        name: scenario.name.clone(),
        config,
        plan,
        latency_target: scenario.latency_target.map(|d| d.as_std()),
        unreached,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(scenarios: Vec<BenchmarkScenario>) -> ResolvedConfig {
        let mut resolved = ResolvedConfig::defaults();
        resolved.config.run.traffic_pattern = Some("5s-10s:200%".into());
        resolved.config.run.expected_messages = Some(7);
        resolved.config.benchmark.scenarios = scenarios;
        resolved
    }

    fn scenario(name: &str) -> BenchmarkScenario {
        BenchmarkScenario {
            name: name.into(),
            ..BenchmarkScenario::default()
        }
    }

    #[test]
    fn a_scenarios_load_is_its_own() {
        let resolved = with(vec![
            BenchmarkScenario {
                rate: Some(Rate::PerSecond(1000.0)),
                messages: Some(1_000_000),
                latency_target: Some(pipegen_config::Duration::from_millis(10)),
                ..scenario("low_latency")
            },
            BenchmarkScenario {
                traffic_pattern: Some("0:1000,120:10000".into()),
                duration: Some(pipegen_config::Duration::from_secs(240)),
                ..scenario("mixed_load")
            },
            scenario("defaults"),
        ]);
        let runs = plan_scenarios(&resolved, None).unwrap();
        assert_eq!(
            runs[0].plan.duration,
            Duration::from_secs(1000),
            "until the messages are sent"
        );
        assert_eq!(runs[0].config.config.run.duration.as_std(), Duration::from_secs(1000));
        assert_eq!(runs[0].latency_target, Some(Duration::from_millis(10)));
        assert_eq!(
            runs[0].config.config.run.traffic_pattern, None,
            "not the project's pattern"
        );
        assert_eq!(runs[0].config.config.run.expected_messages, None);
        assert_eq!(runs[1].plan.planned_total(), Some(1000 * 120 + 10_000 * 120));
        assert_eq!(runs[2].plan.duration, Duration::from_secs(30), "the project's duration");
        assert_eq!(runs[2].plan.base, Rate::PerSecond(100.0), "the project's rate");

        let only = plan_scenarios(&resolved, Some("mixed_load")).unwrap();
        assert_eq!(only.len(), 1);
        let unknown = plan_scenarios(&resolved, Some("nope")).unwrap_err();
        assert!(
            unknown[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("low_latency, mixed_load, defaults")
        );
    }

    #[test]
    fn every_scenario_is_checked_before_any_runs() {
        let none = plan_scenarios(&with(vec![]), None).unwrap_err();
        assert!(none[0].message.contains("no benchmark scenarios"));
        let bad = plan_scenarios(
            &with(vec![
                scenario("fine"),
                BenchmarkScenario {
                    traffic_pattern: Some("90s-120s:300%".into()),
                    duration: Some(pipegen_config::Duration::from_secs(60)),
                    ..scenario("too_long")
                },
            ]),
            None,
        )
        .unwrap_err();
        assert_eq!(bad.len(), 1);
        assert!(
            bad[0].message.starts_with("benchmark scenario `too_long`: "),
            "{}",
            bad[0].message
        );
        let twice = plan_scenarios(&with(vec![scenario("a"), scenario("a")]), None).unwrap_err();
        assert!(twice[0].message.contains("two benchmark scenarios are named `a`"));
    }
}
