pub mod bench;
pub mod check;
pub mod completions;
pub mod config;
pub mod dashboard;
pub mod deploy;
pub mod deploy_compose;
pub mod deploy_kubernetes;
pub mod deploy_targets;
pub mod describe;
pub mod dry_deploy;
pub mod find_max;
pub mod init;
pub mod run;
pub mod sql;
pub mod validate;
pub mod version;

/// A status or verdict as the JSON result spells it (`succeeded`, `missed_target`).
pub(crate) fn serde_name(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
