#!/usr/bin/env bash
# fuzz.sh runs every Go fuzz target of the module briefly: FUZZ_TIME each
# (default 3s), one `go test -fuzz` per target (Go fuzzes one target per
# invocation). Targets are found by name (func FuzzXxx(f *testing.F) in a
# _test.go file), so a new one is picked up with no list to update. A
# crash or a broken property fails the run after all targets ran; Go saves
# the failing input under the package's testdata/fuzz/<target>/, where
# `go test` replays it from then on (commit it with the fix).
# FUZZ_PACKAGES narrows the search to some directories (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_time=${FUZZ_TIME:-3s}
read -r -a roots <<<"${FUZZ_PACKAGES:-.}"

mapfile -t hits < <(grep -rHo --include='*_test.go' \
  --exclude-dir=.dev --exclude-dir=bin --exclude-dir=node_modules --exclude-dir=testdata \
  -E '^func Fuzz[A-Za-z0-9_]*\([A-Za-z_][A-Za-z0-9_]* \*testing\.F\)' "${roots[@]}" | sort -u)
if [ ${#hits[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets found"
  exit 0
fi

start=$SECONDS
failed=()
for hit in "${hits[@]}"; do
  file=${hit%%:*}
  name=${hit#*:func }
  name=${name%%(*}
  pkg=./$(dirname "${file#./}")
  printf 'fuzz: %s %s (%s)\n' "$pkg" "$name" "$fuzz_time"
  log="${TMPDIR:-/tmp}/fuzz.$$.log"
  ok=
  for attempt in 1 2; do
    if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzz_time" -fuzzminimizetime 10s "$pkg" >"$log" 2>&1; then
      ok=1
      break
    fi
    # Go's fuzzing coordinator can fail a target with a bare "context
    # deadline exceeded" as -fuzztime ends on a busy machine, having found
    # nothing (golang/go#75804): no failing input written, no panic. That
    # one is run once more; anything else is a finding.
    if [ "$attempt" = 1 ] && grep -q 'context deadline exceeded' "$log" &&
      ! grep -qE 'Failing input written|panic:|--- FAIL: .*\n.*_test\.go' "$log" &&
      ! grep -q '_test.go:[0-9]' "$log"; then
      echo "fuzz: $name stopped with Go's fuzztime deadline race and no finding; running it again"
      continue
    fi
    break
  done
  if [ -z "$ok" ]; then
    cat "$log"
    failed+=("$pkg $name")
  fi
done
rm -f "${TMPDIR:-/tmp}/fuzz.$$.log"
echo "fuzz: ${#hits[@]} targets in $((SECONDS - start))s"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'fuzz: FAILED %s\n' "${failed[@]}"
  exit 1
fi
