pub mod datagen;
pub mod filesystem;
pub mod jdbc;
pub mod jdbc_owned;
pub mod jdbc_scan;
pub mod jdbc_sink;
pub mod kafka;
pub mod record_layout;
