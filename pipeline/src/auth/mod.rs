//! Credentials the server keeps: passwords (argon2id) and session tokens
//! (random, stored only as SHA-256). Who may do what is decided elsewhere
//! (the access rule table); this module only makes and checks secrets.

pub mod password;
pub mod session;
