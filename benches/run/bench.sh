#!/bin/sh
# Compares `runbook run` with its peers (hurl, a shell loop); see README.md.
# Needs: hyperfine, jq, GNU time, nginx running (./nginx.sh start), inputs from ./gen.sh OUTDIR;
# hurl for the HTTP comparison (without it, runbook's side runs alone and cpu.txt says so).
# usage: RUNBOOK=path/to/runbook [HURL=path/to/hurl] bench.sh OUTDIR
set -eu
OUT=${1:?usage: bench.sh OUTDIR}
N=${N:-2000}
RUNBOOK=${RUNBOOK:-target/release/runbook}
case $RUNBOOK in */*) RUNBOOK=$(realpath "$RUNBOOK") ;; esac   # we cd below
HURL=${HURL:-hurl}
case $HURL in */*) HURL=$(realpath "$HURL") ;; esac
RUN="$RUNBOOK run --non-interactive"
NOREC="$RUN --no-record"        # the peers write no record either
HF="hyperfine -N --warmup 2"        # -N: no intermediate shell (one.yaml takes ms)

cd "$OUT"
# The load average when each comparison starts (the machine is shared).
rm -f load.txt
at() { echo "$1: $(uptime)" >> load.txt; }
curl -sf http://127.0.0.1:${BENCH_PORT:-18080}/health > /dev/null || { echo "nginx is not up: run nginx.sh start" >&2; exit 1; }
# hurl, the HTTP peer: the arguments that add it to a hyperfine call.
if command -v "$HURL" > /dev/null 2>&1; then
    set -- -n hurl "$HURL --test requests.hurl"
    NO_HURL=
else
    set --
    NO_HURL="hurl not found (HURL=$HURL): the HTTP comparison and hurl's peak memory were skipped; install hurl or set HURL=path/to/hurl"
    echo "bench.sh: $NO_HURL" >&2
fi

# 1. N HTTP GETs: hurl vs one foreach step, at its default concurrency and
#    one at a time, without and with the journal and record (the default of
#    `runbook run`), in one hyperfine call (which runs each command's runs in
#    one block, not interleaved: compare CPU time when the load moves).
at http
$HF --export-markdown http.md --export-json http.json --prepare "rm -rf $OUT/recs" "$@" \
    -n runbook-foreach "$NOREC foreach.yaml" \
    -n runbook-foreach-c1 "$NOREC foreach-c1.yaml" \
    -n runbook-foreach-record "$RUN --record-dir $OUT/recs/h foreach.yaml" \
    -n runbook-foreach-c1-record "$RUN --record-dir $OUT/recs/h foreach-c1.yaml"

# 1b. Peak memory of the same work, the record included (GNU time's %M, KiB).
rm -rf "$OUT/recs" memory.txt
at memory
peak() { /usr/bin/time -f "%M KiB peak: $*" "$@" > /dev/null 2>> memory.txt; }
[ -n "$NO_HURL" ] || peak "$HURL" --test requests.hurl
peak $RUN --record-dir "$OUT/recs/m" foreach.yaml

# 2. N process spawns: a shell loop vs N sequential cmd steps.
at spawn
$HF --export-markdown spawn.md --export-json spawn.json \
    -n sh-loop "sh loop.sh" \
    -n runbook-true "$NOREC true$N.yaml"

# 2b. 1 GiB of command output: `cat` reading it vs a cmd step keeping its
#     head and tail.
at gib
$HF --export-markdown gib.md --export-json gib.json \
    -n cat-1gib "sh gib-cat.sh" \
    -n runbook-1gib "$NOREC gib.yaml"

# 3. Fixed cost: a single conclude step.
at one
$HF --export-markdown one.md --export-json one.json -n runbook-one "$NOREC one.yaml"

# 4. The journal's cost: 200 steps without and with the incident record.
for steps in sleep200 true200; do
    at "journal-$steps"
    $HF --export-markdown "journal-$steps.md" --export-json "journal-$steps.json" --prepare "rm -rf $OUT/recs" \
        -n "$steps-no-record" "$NOREC $steps.yaml" \
        -n "$steps-record" "$RUN --record-dir $OUT/recs/r $steps.yaml"
done

# CPU time (user + system) of each command, which the load changes less
# than wall time.
for f in http spawn gib one journal-sleep200 journal-true200; do
    jq -r '.results[] | "\(.command): mean \(.mean * 1000 | round) ms, CPU \((.user + .system) * 1000 | round) ms"' "$f.json"
done > cpu.txt
cat load.txt >> cpu.txt
uptime >> cpu.txt
grep -h peak memory.txt >> cpu.txt
[ -z "$NO_HURL" ] || echo "$NO_HURL" >> cpu.txt

echo "results: $OUT/http.md $OUT/spawn.md $OUT/gib.md $OUT/one.md $OUT/cpu.txt"

