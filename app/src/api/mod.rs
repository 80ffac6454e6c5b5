//! Server functions: the typed calls the views make to the server. Each
//! module holds one domain's functions; the bodies run only on the server
//! (the browser gets generated HTTP stubs) and each checks the caller's role.

pub mod account;
pub mod admin;
pub mod conversations;
pub mod costs;
pub mod dashboard;
pub mod errors;
pub mod pricing;
pub mod summary;
