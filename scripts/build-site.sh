#!/usr/bin/env bash
# Builds the release site as it is shipped: target/release/server and
# target/site. Called by scripts/run.sh and scripts/test.sh.
#
# The browser's WASM is built with its own copy of the standard library
# (`-Zbuild-std`, from the toolchain's rust-src), in which a panic is a bare
# trap (`-Cpanic=immediate-abort`, `-Zlocation-detail=none`) with no message
# or source location, and whose sorts and such are the small versions
# (`optimize_for_size`): the panic machinery, its formatting and its
# strings leave the module, 25 KB of the 315 KB (brotli) every visit
# loads, 0.13 s on a phone's link (docs/performance.md, "The WASM and the
# phone"). These are unstable options of the stable toolchain, so
# RUSTC_BOOTSTRAP=1 is set for that one build and no other: crates such as
# proc-macro2 turn on nightly-only code when they see it, and the server
# would be another build. A debug build (`cargo leptos build --split`)
# keeps panic messages for the console. scripts/smoke.sh checks that the
# release WASM was built this way.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# The two builds share nothing (target/front and target/release), so they
# run side by side, as one `cargo leptos build` would run them.
front() {
  env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
    cargo leptos build --release --split --frontend-only \
    --lib-cargo-args=-Zbuild-std=std,panic_abort --lib-cargo-args=-Zbuild-std-features=optimize_for_size
}
front &
FRONT=$!
# If the server's build fails, the WASM's still finishes before this exits.
trap 'wait "$FRONT" 2>/dev/null || true' EXIT
cargo leptos build --release --split --server-only
wait "$FRONT"
