#!/bin/sh
# `runbook check` timings, cold (--no-cache) and cached side by side in one
# hyperfine call each: one rich 100-step runbook, and 1,000 copies of it.
# usage: RUNBOOK=path/to/runbook benches/check.sh OUTDIR
set -eu
OUT=${1:?usage: check.sh OUTDIR}
RUNBOOK=${RUNBOOK:-target/release/runbook}
HERE=$(dirname "$0")
python3 "$HERE/gen_runbooks.py" "$OUT" 100 1000
# A cache of its own, filled by the warm-up runs.
export RUNBOOK_CACHE_DIR="$OUT/cache"
rm -rf "$RUNBOOK_CACHE_DIR"
uptime
hyperfine -N --warmup 5 --export-markdown "$OUT/check-one.md" \
    -n cold "$RUNBOOK check --no-cache $OUT/one.yaml" \
    -n cached "$RUNBOOK check $OUT/one.yaml"
uptime
hyperfine -N --warmup 1 --min-runs 5 --export-markdown "$OUT/check-many.md" \
    -n cold "$RUNBOOK check --no-cache $OUT/many" \
    -n cached "$RUNBOOK check $OUT/many"
uptime
echo "results: $OUT/check-one.md $OUT/check-many.md"
