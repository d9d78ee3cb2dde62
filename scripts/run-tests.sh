#!/usr/bin/env bash
# Runs the compiled test suite (build first: bash scripts/build.sh) with Node's test runner:
# unit tests, then integration tests one file at a time (each file may start a whole local cluster), then
# the dashboard's browser tests (tests/browser/: Debian's chromium driven by playwright-core, on a local cluster).
# Only compiled tests whose .ts source still exists run (tsc leaves stale files in dist/ behind).
# Exits non-zero when any test failed.
#   QUANTGRID_UNIT_TEST_TIMEOUT_MS         per-test timeout for unit tests (default 60000)
#   QUANTGRID_INTEGRATION_TEST_TIMEOUT_MS  per-test timeout for integration tests (default 300000)
# Node 20's runner applies the timeout to each test file as a whole too, so it bounds a file's run time.
set -uo pipefail
cd "$(dirname "$0")/.."

unit_timeout=${QUANTGRID_UNIT_TEST_TIMEOUT_MS:-60000}
integration_timeout=${QUANTGRID_INTEGRATION_TEST_TIMEOUT_MS:-300000}

# Prints the compiled test files of tests/<suite>/ whose sources exist, one per line.
compiled_tests() {
  local suite=$1 src
  [ -d "tests/$suite" ] || return 0
  find "tests/$suite" -type f -name '*.test.ts' ! -name '*.d.ts' | sort | while IFS= read -r src; do
    local js="dist/${src%.ts}.js"
    if [ -f "$js" ]; then
      printf '%s\n' "$js"
    else
      printf 'quantgrid tests: %s has no compiled %s (did the build fail?)\n' "$src" "$js" >&2
      printf '%s\n' "$js"
    fi
  done
}

run_suite() {
  local suite=$1 concurrency=$2 timeout=$3
  local files=()
  mapfile -t files < <(compiled_tests "$suite")
  if [ "${#files[@]}" -eq 0 ]; then
    printf 'quantgrid tests: no %s tests yet (tests/%s/**/*.test.ts)\n' "$suite" "$suite"
    return 0
  fi
  printf '\n== %s tests: %d file(s)\n' "$suite" "${#files[@]}"
  node --test --test-reporter=spec --test-concurrency="$concurrency" --test-timeout="$timeout" \
    --test-force-exit "${files[@]}"
}

status=0
run_suite unit 2 "$unit_timeout" || status=1
run_suite integration 1 "$integration_timeout" || status=1
run_suite browser 1 "$integration_timeout" || status=1

if [ "$status" -ne 0 ]; then
  printf '\nquantgrid tests: FAILED (see above)\n' >&2
fi
exit "$status"
