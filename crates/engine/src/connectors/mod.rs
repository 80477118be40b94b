//! Connectors the embedded engine runs.

pub mod datagen;
