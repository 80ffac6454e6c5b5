//! One file per page.

pub mod admin;
pub mod costs;
pub mod home;
pub mod login;
pub mod not_found;
pub mod replay;
pub mod replay_list;
