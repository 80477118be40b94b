//! Loading the configuration for a command: global flags become the strongest layer.

use pipegen_config::{FlagValue, LoadOptions, ResolvedConfig, load};
use pipegen_diag::Diagnostic;

use crate::cli::GlobalArgs;
use crate::failure::Failure;

/// Loads the layered configuration, with the global flags and `extra` command flags on top.
pub fn load_config(global: &GlobalArgs, extra: Vec<FlagValue>) -> Result<ResolvedConfig, Failure> {
    let mut options = LoadOptions::from_process(&global.project_dir, global.config.clone());
    options.flags = global_flags(global);
    options.flags.extend(extra);
    load(&options).map_err(|e| Failure::input(Diagnostic::from(&e)))
}

fn global_flags(global: &GlobalArgs) -> Vec<FlagValue> {
    [
        ("bootstrap_servers", &global.bootstrap_servers, "--bootstrap-servers"),
        (
            "schema_registry_url",
            &global.schema_registry_url,
            "--schema-registry-url",
        ),
        ("flink_url", &global.flink_url, "--flink-url"),
        ("sql_gateway_url", &global.sql_gateway_url, "--sql-gateway-url"),
    ]
    .into_iter()
    .filter_map(|(key, value, flag)| value.as_ref().map(|v| FlagValue::new(key, v.as_str(), flag)))
    .collect()
}
