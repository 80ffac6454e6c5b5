//! Background tasks, started with the server and stopped with it.

pub mod retention;
