pub mod datagen;
pub mod filesystem;
pub mod kafka;
pub mod record_layout;
