#!/bin/sh
# Compares `runbook run` with its peers (hurl, a shell loop); see README.md.
# Needs: hyperfine, hurl, nginx running (./nginx.sh start), inputs from ./gen.sh OUTDIR.
# usage: RUNBOOK=path/to/runbook bench.sh OUTDIR
set -eu
OUT=${1:?usage: bench.sh OUTDIR}
N=${N:-2000}
RUNBOOK=${RUNBOOK:-target/release/runbook}
case $RUNBOOK in */*) RUNBOOK=$(realpath "$RUNBOOK") ;; esac   # we cd below
RUN="$RUNBOOK run --non-interactive"
NOREC="$RUN --no-record"        # the peers write no record either
HF="hyperfine -N --warmup 2"        # -N: no intermediate shell (one.yaml takes ms)

cd "$OUT"
curl -sf http://127.0.0.1:${BENCH_PORT:-18080}/health > /dev/null || { echo "nginx is not up: run nginx.sh start" >&2; exit 1; }

# 1. N HTTP GETs: hurl vs one foreach step.
$HF --export-markdown http.md \
    -n hurl "hurl --test requests.hurl" \
    -n runbook-foreach "$NOREC foreach.yaml"

# 2. N process spawns: a shell loop vs N sequential cmd steps.
$HF --export-markdown spawn.md \
    -n sh-loop "sh loop.sh" \
    -n runbook-true "$NOREC true$N.yaml"

# 3. Fixed cost: a single conclude step.
$HF --export-markdown one.md -n runbook-one "$NOREC one.yaml"

# 4. The journal's cost: 200 steps without and with the incident record.
for steps in sleep200 true200; do
    $HF --export-markdown "journal-$steps.md" --prepare "rm -rf $OUT/recs" \
        -n "$steps-no-record" "$NOREC $steps.yaml" \
        -n "$steps-record" "$RUN --record-dir $OUT/recs/r $steps.yaml"
done

echo "results: $OUT/http.md $OUT/spawn.md $OUT/one.md"
