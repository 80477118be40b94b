//! pipegen's configuration: one typed schema ([`Config`]) filled from layers, later winning:
//! built-in defaults < `~/.pipegen.yaml` < the project's `.pipegen.yaml` < `--config FILE` <
//! `PIPEGEN_*` environment variables < command-line flags.
//!
//! Every value remembers its origin (file and line, variable or flag) so that `config show` can
//! say where it came from and an error can point at the line that set it. Unknown keys are
//! errors with the nearest valid key; secrets are redacted wherever configuration is shown.

mod env;
mod error;
mod keys;
mod load;
mod origin;
mod path;
mod resolved;
mod schema;
mod secret;
pub mod units;
mod validate;
mod yaml;

pub use env::variable_for as env_variable_for;
pub use error::{ConfigError, Located};
pub use keys::KeyCatalogue;
pub use load::{CONFIG_FILE_NAME, FlagValue, LoadOptions, load, load_with};
pub use origin::{Origin, Source};
pub use path::KeyPath;
pub use resolved::ResolvedConfig;
pub use schema::*;
pub use secret::{Properties, REDACTED, Secret, is_secret_key, redact_url_credentials};
pub use units::{ByteSize, Duration, Percent};
