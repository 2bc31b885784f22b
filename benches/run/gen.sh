#!/bin/sh
# Writes the `runbook run` benchmark inputs into OUTDIR (see README.md).
# usage: gen.sh OUTDIR       (N=500 gen.sh OUTDIR for a smaller set; default 2000)
set -eu
OUT=${1:?usage: gen.sh OUTDIR}
N=${N:-2000}
URL=http://127.0.0.1:${BENCH_PORT:-18080}
mkdir -p "$OUT"

# a) N hurl entries, each asserting 200.
awk -v n="$N" -v url="$URL" 'BEGIN {
    for (i = 1; i <= n; i++) printf "GET %s/item/%d\nHTTP 200\n\n", url, i }' > "$OUT/requests.hurl"

# b) One check step: foreach over 1..N, one HTTP probe per item.
{
    echo "id: bench-foreach"
    echo "title: $N HTTP probes"
    echo "steps:"
    echo "  - id: items"
    echo "    check:"
    awk -v n="$N" 'BEGIN { printf "      foreach: [1"; for (i = 2; i <= n; i++) printf ", %d", i; print "]" }'
    echo "      http: { url: \"$URL/item/{{ item }}\" }"
    echo "      expect:"
    echo "        - status: 200"
    echo "  - id: done"
    echo "    conclude:"
    echo "      status: resolved"
} > "$OUT/foreach.yaml"
# The same, one probe at a time (like hurl, which sends them in sequence).
sed 's/^      foreach:/      concurrency: 1\n      foreach:/' "$OUT/foreach.yaml" > "$OUT/foreach-c1.yaml"

# steps ID TITLE COUNT ARGV: a runbook of COUNT sequential cmd steps, then conclude.
steps() {
    {
        echo "id: $1"
        echo "title: $2"
        echo "steps:"
        awk -v n="$3" -v argv="$4" 'BEGIN { for (i = 1; i <= n; i++)
            printf "  - id: s%d\n    check: { cmd: { argv: %s }, expect: [ { exit_code: 0 } ] }\n", i, argv }'
        echo "  - id: done"
        echo "    conclude: { status: resolved }"
    }
}

# c) N `true` steps.  d) The same N process spawns from a shell, for comparison.
steps bench-true "$N true steps" "$N" '["true"]' > "$OUT/true$N.yaml"
echo "i=0; while [ \$i -lt $N ]; do /bin/true; i=\$((i+1)); done" > "$OUT/loop.sh"

# e) A single conclude step: the fixed cost of `runbook run`.
printf 'id: bench-one\ntitle: One step\nsteps:\n  - id: done\n    conclude: { status: resolved }\n' > "$OUT/one.yaml"

# f) One step reading 1 GiB of output (the capture keeps 1 MiB of it), and
#    the same bytes through `cat`, for comparison.
printf 'id: bench-gib\ntitle: 1 GiB of output\nsteps:\n  - id: zeros\n    check: { cmd: { argv: [head, -c, "1073741824", /dev/zero] }, expect: [ { exit_code: 0 } ] }\n  - id: done\n    conclude: { status: resolved }\n' > "$OUT/gib.yaml"
echo 'head -c 1073741824 /dev/zero | cat > /dev/null' > "$OUT/gib-cat.sh"

# g) 200 steps that sleep 10 ms vs 200 that do nothing (journal overhead, later).
steps bench-sleep200 "200 sleep steps" 200 '[sleep, "0.01"]' > "$OUT/sleep200.yaml"
steps bench-true200 "200 true steps" 200 '["true"]' > "$OUT/true200.yaml"

echo "wrote $(ls "$OUT" | wc -l) files to $OUT"
