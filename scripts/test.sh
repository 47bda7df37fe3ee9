#!/usr/bin/env bash
# scripts/test.sh - install what is missing, build, and run every test:
#   1. the normal build (RelWithDebInfo, warnings as errors): all tests
#      (unit, CLI, tshark conformance, live capture when root);
#   2. an ASan+UBSan build: the unit tests and the CLI tests again;
#   3. the fuzz targets (clang libFuzzer) replayed over their seed corpora
#      and run briefly, so a fuzzer that no longer builds or crashes at once
#      fails the suite (the long campaigns are in tests/fuzz/README.md).
# .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)

scripts/deps.sh

echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS"
echo "== tests"
LOGS=$(mktemp -d)
ctest --test-dir build --output-on-failure -j"$JOBS" | tee "$LOGS/normal.log"

echo "== tests under ASan+UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DV6M_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" -LE slow | tee "$LOGS/asan.log"

echo "== fuzz targets (smoke)"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DV6M_FUZZ=ON -DV6M_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$JOBS"
tests/fuzz/run.sh build-fuzz 20
nfuzz=$(ls tests/fuzz/fuzz_*.c | wc -l)

# One closing line over everything: ctest's "N tests failed out of M" of both
# builds plus the fuzz smoke runs (each one passed if we got here).
read -r total failed < <(cat "$LOGS"/*.log | awk '/tests failed out of/ {
  for (i = 1; i <= NF; i++) { if ($i == "failed") f += $(i - 2); if ($i == "of") t += $(i + 1) } }
  END { print t + 0, f + 0 }')
rm -rf "$LOGS"
echo "$((total - failed + nfuzz)) passed, $failed failed"
