pub mod completions;
pub mod config;
pub mod init;
pub mod pending;
pub mod run;
pub mod sql;
pub mod validate;
pub mod version;
