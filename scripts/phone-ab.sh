#!/usr/bin/env bash
# Phone-profile time to interactive of `/`, two builds alternately:
#   scripts/phone-ab.sh DIR_A DIR_B [SETS]
# Each DIR holds one build's `server` binary and its `site/` (copies of
# target/release/server and target/site after scripts/build-site.sh; a
# build's WASM must be served by its own server).
# Runs SETS (default 3) sets of five cold loads of each, A then B, and
# prints each set's median and the median of the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
A="$(realpath "${1:?usage: $0 DIR_A DIR_B [SETS]}")"
B="$(realpath "${2:?usage: $0 DIR_A DIR_B [SETS]}")"
SETS="${3:-3}"
for d in "$A" "$B"; do
  [[ -x "$d/server" && -f "$d/site/pkg/flowmeter.wasm" ]] || { echo "$d: needs server and site/pkg/flowmeter.wasm" >&2; exit 2; }
done
export PATH="$PWD/node_modules/.bin:$PWD/end2end/node_modules/.bin:$PATH"
declare -A medians=([A]="" [B]="")
for ((set = 1; set <= SETS; set++)); do
  for label in A B; do
    dir="$A"; [[ $label == B ]] && dir="$B"
    line="$(cd end2end && FLOWMETER_BIN="$dir/server" FLOWMETER_SITE="$dir/site" \
      npx playwright test -c bench.config.ts -g "/ on a phone" 2>&1 | grep 'phone profile /:')" \
      || { echo "set $set, $label: the bench failed" >&2; exit 1; }
    ms="$(sed -E 's/.* interactive ([0-9]+) ms.*/\1/' <<<"$line")"
    medians[$label]+="$ms "
    echo "set $set, $label ($dir):${line#*phone profile /:}"
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "A: ${medians[A]}-> $(median "${medians[A]}") ms"
echo "B: ${medians[B]}-> $(median "${medians[B]}") ms"
