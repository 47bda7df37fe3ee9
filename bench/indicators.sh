#!/bin/sh
# bench/indicators.sh [BUILD_DIR] [ARGS...] - build bench/indicators_bench.c
# against BUILD_DIR/libv6mon.a (default build/) and time the scorecard over
# a year of data (see the file's header). The database is built once in
# /tmp/v6m-indicators-bench.db (~2 min); pass --reuse to time it again.
# Results: a Markdown table on stdout.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
[ $# -gt 0 ] && shift
cmake --build "$BUILD" --target v6mon >/dev/null
OUT="$BUILD/indicators_bench"
cc -O2 -std=c11 -D_GNU_SOURCE -include "$SRC/lib/util/banned.h" -I"$SRC/include" \
  "$SRC/bench/indicators_bench.c" "$BUILD/libv6mon.a" \
  $(pkg-config --libs sqlite3 libpcap libcrypto libndpi libcares libcurl gumbo libpsl) -lm \
  -o "$OUT"
exec "$OUT" "$@"
