#!/usr/bin/env bash
# scripts/demo.sh - install what is missing, build, and run the main job on
# the bundled sample data: the traffic report of data/samples/sample.pcap
# (IPv6 share per segment, I2 and I3; IPv6 active users, I1; apps, I6 and I7),
# stored in out/v6mon.db.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target v6mon-cli >/dev/null
mkdir -p out
./build/v6mon traffic --users --apps --db out/v6mon.db --vantage sample data/samples/sample.pcap
