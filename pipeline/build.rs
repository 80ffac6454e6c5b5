//! `sqlx::migrate!` embeds `migrations/` at compile time, but cargo does not
//! know that: without this, a new migration file is left out of an
//! incremental build until something else in this crate changes.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
