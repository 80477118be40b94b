//! Traffic patterns (`30s-60s:300%`, `0:1000,300:5000`) planned over a short run and over a
//! message count, and the first slots of their schedules.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pipegen_config::Rate;
use pipegen_loadgen::plan::RatePlan;

/// Enough slots to cross several phases, few enough to stay fast.
const SLOTS: usize = 2_000;

fn exercise(plan: &RatePlan) {
    let _ = plan.planned_total();
    let _ = plan.planned_between(Duration::from_secs(1), Duration::from_secs(30));
    let _ = plan.rate_at(Duration::from_millis(1_500));
    let _ = plan.schedule().take(SLOTS).count();
}

fuzz_target!(|data: &[u8]| {
    let Ok(pattern) = std::str::from_utf8(data) else { return };
    for base in [Rate::PerSecond(100.0), Rate::PerSecond(0.5), Rate::Max] {
        if let Ok(plan) = RatePlan::new(base, Duration::from_secs(60), None, Some(pattern)) {
            exercise(&plan);
        }
        if let Ok(plan) = RatePlan::new(base, Duration::from_secs(5), Some(1_000), Some(pattern)) {
            exercise(&plan);
        }
        if let Ok((plan, _unreached)) = RatePlan::until_messages(base, 500, Some(pattern)) {
            exercise(&plan);
        }
    }
});
