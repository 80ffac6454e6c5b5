//! The admin area's sections, one per file, each with its own data and
//! actions (server functions in `crate::api::admin` and `crate::api::pricing`).

pub mod audit;
pub mod keys;
pub mod pricing;
pub mod settings;
pub mod users;
