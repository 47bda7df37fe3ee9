#!/usr/bin/env bash
# tests/lab/lab.sh - the prober lab of real servers (docs/lab.md).
#
#   lab.sh up STATE_DIR [--bench N]   build the two namespaces, zones, pages,
#                                     test CA; start nsd, unbound, nginx and
#                                     the hostile HTTP/DNS servers (~2 s)
#   lab.sh env STATE_DIR              print shell variables for eval:
#                                     CLIENT_NS NET_NS RESOLVER RESOLVER4
#                                     RESOLVER6 LIEDNS4 LIEDNS6 CA_FILE
#                                     SITES_CSV HOSTILE_CSV LIES_CSV APPS_CSV
#                                     CANARY EXPECTED STATE CLIENT4 CLIENT6
#                                     (+ BENCH_SITES_CSV BENCH_QUERIES)
#   lab.sh down STATE_DIR             stop everything, remove the namespaces;
#                                     idempotent, safe on a half-built lab
#   lab.sh exec STATE_DIR CMD...      run CMD in the client namespace
#
# The work is done by netlab.py next to this script (zones, pages and
# server configurations are generated there from one table of sites);
# this wrapper is the stable command line. Needs root.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
py=${PYTHON:-python3}
usage() { echo "usage: lab.sh up STATE_DIR [--bench N] | env STATE_DIR | down STATE_DIR | exec STATE_DIR CMD..." >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cmd=$1 state=$2
shift 2
case $cmd in
  up)
    if [[ $# -eq 2 && $1 == --bench && $2 =~ ^[0-9]+$ ]]; then
      exec "$py" "$here/netlab.py" up "$state" --bench "$2"
    fi
    [[ $# -eq 0 ]] || usage
    exec "$py" "$here/netlab.py" up "$state" ;;
  down|env)
    [[ $# -eq 0 ]] || usage
    exec "$py" "$here/netlab.py" "$cmd" "$state" ;;
  exec)
    [[ $# -ge 1 ]] || usage
    ns=$("$py" "$here/netlab.py" env "$state" | sed -n 's/^CLIENT_NS=//p')
    exec ip netns exec "$ns" "$@" ;;
  *) usage ;;
esac
