#!/bin/sh
# The fingerprint-scan figure (docs/PERFORMANCE.md): for N = 0, 1, 16
# distinct lengths, a run stopped at its question, then `runbook resume`
# of a copy of its record under callgrind (the instructions of the runbook
# process; the `yes | head` child is not traced), and the same resumes
# under hyperfine (CPU time, children included).
#
# Usage: RUNBOOK=target/release/runbook sh benches/resume_scan/measure.sh DIR
set -e
RUNBOOK=$(realpath "${RUNBOOK:-target/release/runbook}")
HERE=$(dirname "$(realpath "$0")")
mkdir -p "$1"
cd "$1"
for n in 0 1 16; do
  python3 "$HERE/gen.py" "$n" > "runbook-$n.yaml"
  rm -rf "rec-$n" "r-$n"
  "$RUNBOOK" run "runbook-$n.yaml" --non-interactive --record-dir "rec-$n" >/dev/null 2>&1 || test $? -eq 5
  cp -a "rec-$n" "r-$n"
  valgrind --tool=callgrind --callgrind-out-file="cg-$n.out" "$RUNBOOK" resume "r-$n" --non-interactive \
    --answer pause=yes >/dev/null 2>"cg-$n.err" || true
  printf 'N=%s fingerprints=%s lengths=%s %s\n' "$n" \
    "$(grep -o '"known_by":"fingerprint"' "rec-$n/journal.jsonl" | wc -l)" \
    "$(grep -o '"bytes":[0-9]*' "rec-$n/journal.jsonl" | sort -u | wc -l)" \
    "$(grep -o 'Collected : [0-9]*' "cg-$n.err")"
done
uptime
for n in 0 1 16; do
  hyperfine -N --runs 5 --prepare "sh -c 'rm -rf r-$n && cp -a rec-$n r-$n'" \
    "$RUNBOOK resume r-$n --non-interactive --answer pause=yes"
done
uptime
