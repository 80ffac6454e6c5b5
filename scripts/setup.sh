#!/usr/bin/env bash
# Installs what Flowmeter needs on a fresh machine, idempotently: every step
# checks first and skips what is already present. Nothing is fetched from
# GitHub; everything comes from the cargo, npm and Debian registries.
#
#   scripts/setup.sh          tools to build and run the dashboard
#   scripts/setup.sh --test   also Chromium, PostgreSQL, Redis, nginx and promtool for the tests
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION=0.3.11
WITH_TEST=0
[[ "${1:-}" == "--test" ]] && WITH_TEST=1

step() { # step NAME COMMAND...: runs one step, printing its name and time
  local name="$1"; shift
  local t0=$SECONDS
  echo "==> setup: $name"
  "$@"
  echo "    setup: $name done in $((SECONDS - t0)) s"
}

# The wasm-bindgen version the CLI must match exactly: the one Cargo.lock pins.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# Unpacks a crate's source from the registry into a scratch dir and prints it.
unpack_crate() {
  local name="$1" version="$2" dir
  dir="$(mktemp -d)/$name-$version"
  cargo info "$name@$version" >/dev/null 2>&1 || true
  local src
  src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$name-$version" 2>/dev/null | head -n1)"
  if [[ -z "$src" ]]; then
    echo "cannot unpack $name $version from the registry" >&2
    return 1
  fi
  cp -r "$src" "$dir"
  echo "$dir"
}

wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "    wasm32-unknown-unknown present"
  else
    rustup target add wasm32-unknown-unknown
  fi
}

# The release WASM is built with its own standard library (scripts/build-site.sh).
rust_src() {
  if rustup component list --installed | grep -q '^rust-src'; then
    echo "    rust-src present"
  else
    rustup component add rust-src
  fi
}

cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    echo "    cargo-leptos $CARGO_LEPTOS_VERSION present"
    return
  fi
  local dir
  dir="$(unpack_crate cargo-leptos "$CARGO_LEPTOS_VERSION")"
  # Its lock pins cargo-util-schemas 0.14.2, which needs a newer rustc.
  (cd "$dir" && cargo update -q -p cargo-util-schemas --precise 0.14.1 &&
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install --path . --locked --features no_downloads)
  rm -rf "$(dirname "$dir")"
}

wasm_bindgen_cli() {
  local want
  want="$(wasm_bindgen_version)"
  if wasm-bindgen --version 2>/dev/null | grep -q "$want"; then
    echo "    wasm-bindgen-cli $want present"
    return
  fi
  local dir
  dir="$(unpack_crate wasm-bindgen-cli "$want")"
  # Its lock pins a webpki-roots the registry mirror here lacks.
  (cd "$dir" && { cargo update -q -p webpki-roots --precise 1.0.10 || true; } &&
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --path . --locked)
  rm -rf "$(dirname "$dir")"
}

npm_packages() {
  # echarts for the charts, binaryen for wasm-opt (Debian's is too old).
  if [[ -f node_modules/echarts/dist/echarts.min.js && -x node_modules/.bin/wasm-opt ]]; then
    echo "    npm packages present"
  else
    npm install --no-audit --no-fund
  fi
  mkdir -p public/vendor
  cmp -s node_modules/echarts/dist/echarts.min.js public/vendor/echarts.min.js ||
    cp node_modules/echarts/dist/echarts.min.js public/vendor/echarts.min.js
}

apt_packages() {
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  [[ -x /usr/lib/postgresql/15/bin/postgres ]] || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v promtool >/dev/null || missing+=(prometheus)
  # jemalloc, the server's allocator, is built from source (server/src/allocator.rs).
  command -v make >/dev/null || missing+=(make)
  if ((${#missing[@]} == 0)); then
    echo "    chromium, postgresql, redis-server, nginx, prometheus (promtool) and make present"
    return
  fi
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# The OpenTelemetry Python example's packages and schemathesis, in a
# virtualenv of our own.
python_venv() {
  local want have
  want="$(cat examples/requirements.txt scripts/requirements.txt | grep -v '^#' | sort)"
  have="$( (.venv/bin/pip freeze 2>/dev/null || true) | sort)"
  if [[ -x .venv/bin/python ]] && [[ -z "$(comm -23 <(echo "$want") <(echo "$have"))" ]]; then
    echo "    .venv with examples/requirements.txt and scripts/requirements.txt present"
    return
  fi
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r examples/requirements.txt -r scripts/requirements.txt
}

playwright() {
  if [[ -d end2end/node_modules/@playwright/test && -d end2end/node_modules/@axe-core/playwright ]]; then
    echo "    @playwright/test and @axe-core/playwright present"
  else
    (cd end2end && npm install --no-audit --no-fund)
  fi
}

T0=$SECONDS
step "rust target wasm32-unknown-unknown" wasm_target
step "rust-src (the release WASM's standard library)" rust_src
step "cargo-leptos $CARGO_LEPTOS_VERSION (no_downloads)" cargo_leptos
step "wasm-bindgen-cli $(wasm_bindgen_version)" wasm_bindgen_cli
step "npm packages (echarts, binaryen)" npm_packages
if ((WITH_TEST)); then
  step "debian packages (chromium, postgresql, redis-server, nginx, prometheus)" apt_packages
  step "end2end npm packages (@playwright/test, @axe-core/playwright)" playwright
  step "python virtualenv (.venv: OpenTelemetry SDK, schemathesis)" python_venv
fi
echo "==> setup: all done in $((SECONDS - T0)) s"
