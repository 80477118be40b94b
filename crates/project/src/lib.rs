//! A pipegen project on disk: loading and parsing it ([`Project`]), creating one
//! ([`scaffold::init`]) and checking it the way Flink would before anything runs
//! ([`validate::check`]).

mod deployment;
mod name;
mod project;
pub mod scaffold;
pub mod validate;

pub use deployment::{DeployedJob, DeploymentRecord, RECORD_PATH, read_deployment};
pub use name::{NameError, ProjectName, snake_case};
pub use project::{DATA_DIR, INPUT_SCHEMA, LoadedSchema, Project, ProjectSql, SCHEMAS_DIR, SQL_DIR, shown_path};
