//! Background tasks, started with the server and stopped with it.

pub mod alerts;
pub mod archive;
pub mod exports;
pub mod memory;
pub mod retention;
