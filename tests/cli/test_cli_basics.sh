#!/usr/bin/env bash
# The tool's frame: help, version, git-style errors and exit codes.
source "$(dirname "$0")/lib.sh"

expect_exit 0 "--help" "$V6MON" --help
check "--help lists traffic" contains "$TMP/last.out" "traffic"
check "--help lists synth" contains "$TMP/last.out" "synth"
expect_exit 0 "--version" "$V6MON" --version
check "--version says v6mon" grep -qE '^v6mon [0-9]+\.[0-9]+\.[0-9]+' "$TMP/last.out"
expect_exit 0 "help traffic" "$V6MON" help traffic
check "help traffic shows the page" contains "$TMP/last.out" "--segments FILE"
expect_exit 0 "traffic --help" "$V6MON" traffic --help
check "traffic --help equals help traffic" bash -c "diff <('$V6MON' help traffic) <('$V6MON' traffic --help)"
expect_exit 0 "help synth" "$V6MON" help synth
expect_exit 129 "no command" "$V6MON"
expect_exit 1 "unknown command" "$V6MON" frobnicate
check "unknown command message" contains "$TMP/last.err" "error: 'frobnicate' is not a v6mon command. See 'v6mon --help'."
expect_exit 1 "help of unknown command" "$V6MON" help frobnicate
expect_exit 129 "unknown global option" "$V6MON" --frob
expect_exit 129 "traffic without input" "$V6MON" traffic
check "says what is missing" contains "$TMP/last.err" "no input"
expect_exit 129 "traffic bad format" "$V6MON" traffic --format xml x.pcap
check "names the bad format" contains "$TMP/last.err" "'xml'"
expect_exit 129 "traffic bad bucket" "$V6MON" traffic --bucket 5q x.pcap
expect_exit 129 "bucket not whole seconds" "$V6MON" traffic --bucket 1500ms x.pcap
expect_exit 129 "traffic unknown option" "$V6MON" traffic --frob x.pcap
expect_exit 129 "files and --live together" "$V6MON" traffic --live lo x.pcap
expect_exit 1 "missing file" "$V6MON" traffic "$TMP/nope.pcap"
check "missing file message" contains "$TMP/last.err" "cannot open '$TMP/nope.pcap': No such file or directory"
echo "this is not a capture" > "$TMP/text.pcap"
expect_exit 1 "not a capture" "$V6MON" traffic "$TMP/text.pcap"
check "not-a-capture message names the file" contains "$TMP/last.err" "text.pcap"
printf 'segment x frob 1\n' > "$TMP/bad.seg"
"$V6MON" synth --seed 1 --packets 100 -o "$TMP/s.pcap" >/dev/null 2>&1 || true
expect_exit 1 "bad segments file" "$V6MON" traffic --segments "$TMP/bad.seg" "$TMP/s.pcap"
check "segments error names file and line" contains "$TMP/last.err" "bad.seg:1:"
finish
