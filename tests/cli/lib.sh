# tests/cli/lib.sh - helpers for the shell tests (sourced).
# Environment from ctest: V6MON (the built tool), V6M_SRC (source tree),
# V6M_TMP (scratch root). Exit 77 = skipped (ctest SKIP_RETURN_CODE).
set -euo pipefail
: "${V6MON:?V6MON must point at the built v6mon}"
: "${V6M_SRC:?V6M_SRC must point at the source tree}"
: "${V6M_TMP:=/tmp/v6mon-tests}"
TEST_NAME=$(basename "$0" .sh)
TMP="$V6M_TMP/$TEST_NAME"
rm -rf "$TMP"
mkdir -p "$TMP"
PASSED=0
FAILED=0

skip() { echo "SKIP: $TEST_NAME: $*"; exit 77; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (scripts/deps.sh installs it)"; }
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...
  local d=$1; shift
  if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# expect_exit CODE DESCRIPTION COMMAND... ; stdout/stderr saved in $TMP/last.{out,err}
expect_exit() {
  local want=$1 d=$2; shift 2
  local got=0
  "$@" >"$TMP/last.out" 2>"$TMP/last.err" || got=$?
  if [[ $got -eq $want ]]; then ok "$d (exit $got)"; else
    not_ok "$d: exit $got, wanted $want"; sed 's/^/  | /' "$TMP/last.err" | head -5; fi
}
contains() { grep -qF -- "$2" "$1"; }
finish() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}
