//! The load generator.

pub mod plan;
