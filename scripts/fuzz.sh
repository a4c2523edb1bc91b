#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME each (default 10s):
# `go test -fuzz` takes one target per package, so each runs on its own.
# The targets are found with `go test -list '^Fuzz'`; their seed corpora
# already run as plain tests in `go test ./...`. A failing input is saved
# under the package's testdata/fuzz/<Target>/ and the script stops.
#
#   FUZZTIME=2s scripts/fuzz.sh             # what CI runs
#   scripts/fuzz.sh ./producer/ ./message/  # only these packages
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

# `go test -list` prints the matching names of each package, then
# "ok <import path> <time>" (or "? <import path> [no test files]").
targets=()
names=()
while read -r first second _; do
  case "$first" in
    Fuzz*) names+=("$first") ;;
    ok)
      for n in "${names[@]}"; do targets+=("$second $n"); done
      names=()
      ;;
    *) names=() ;;
  esac
done < <("$GO" test -list '^Fuzz' "${pkgs[@]}")

if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets found" >&2
  exit 1
fi
echo "${#targets[@]} fuzz targets, $FUZZTIME each"
started=$SECONDS
# Go's fuzzing engine may end a short run with "context deadline exceeded"
# and no failing input when a worker is slow to stop on a loaded machine
# (golang/go#48127): such a run is tried once more. A real failure saves
# its input under testdata/fuzz and fails at once.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "${targets[@]}"; do
  read -r pkg name <<<"$t"
  echo "== $name ($pkg)"
  for try in 1 2; do
    if "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1 | tee "$out" | grep -v '^fuzz: elapsed'; [ "${PIPESTATUS[0]}" -eq 0 ]; then
      break
    fi
    if [ "$try" -eq 1 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
      echo "   (the fuzzing engine timed out stopping, with no failing input: once more)"
      continue
    fi
    exit 1
  done
done
echo "all ${#targets[@]} fuzz targets passed in $((SECONDS - started)) s"
