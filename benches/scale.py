#!/usr/bin/env python3
"""Scaling benchmark: does each unit of work cost the same at every size?

Runs, at N = 100, 1,000 and 10,000 (or the sizes given with --sizes):

- run-cmd:      `runbook run` of N sequential `cmd: { argv: ["true"] }` steps
                (no record: the spawn path and the interpreter);
- run-foreach:  `runbook run` of one `foreach` check of N HTTP probes against
                nginx on 127.0.0.1:18080 (benches/run/nginx.sh), with the
                journal and the record, as an operator would run it;
- record:       `runbook record DIR` rebuilding record.json and record.md
                from the journal of a run of N `cmd` steps;
- check:        `runbook check` of one runbook of N lean steps
                (benches/gen_runbooks.py: the rich steps' rules in about
                23 YAML nodes a step, so that 10,000 steps stay within the
                loader's budget of 250,000 nodes), cache off;
- check-rich:   the same of N rich steps (42 nodes a step: at most 5,000
                within the budget), at --rich-sizes.

Each case is timed with hyperfine (`-N`, warm-up 1, at least 3 runs), and
its peak memory read from the kernel (maximum resident set of the child).
Prints one table: mean time, time per unit, per-unit growth against the
smallest size, the same for CPU time (user + system, children included,
which the load changes less than wall time), the marginal CPU per unit
(the extra CPU time per extra unit since the size before, which carries no
fixed cost of the process: the figure that shows a cost growing faster
than the work), peak RSS, and the load average when the case ran (the
machine is shared; compare figures taken in the same run only).

usage: scale.py [--runbook target/release/runbook] [--sizes 100,1000,10000]
                [--rich-sizes 100,1000,5000]
                [--cases run-cmd,run-foreach,record,check,check-rich] [--out DIR]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
URL = f"http://127.0.0.1:{os.environ.get('BENCH_PORT', '18080')}"


def write(path: str, text: str) -> str:
    with open(path, "w") as f:
        f.write(text)
    return path


def cmd_steps(n: int) -> str:
    lines = [f"id: scale-cmd-{n}", f"title: {n} true steps", "steps:"]
    for i in range(n):
        lines.append(f"  - id: s{i}")
        lines.append('    check: { cmd: { argv: ["true"] }, expect: [ { exit_code: 0 } ] }')
    lines += ["  - id: done", "    conclude: { status: resolved }"]
    return "\n".join(lines) + "\n"


def foreach_items(n: int) -> str:
    items = ", ".join(str(i) for i in range(1, n + 1))
    return (
        f"id: scale-foreach-{n}\ntitle: {n} HTTP probes\nsteps:\n"
        "  - id: items\n    check:\n"
        f"      foreach: [{items}]\n"
        f'      http: {{ url: "{URL}/item/{{{{ item }}}}" }}\n'
        "      expect:\n        - status: 200\n"
        "  - id: done\n    conclude:\n      status: resolved\n"
    )


def generated(n: int, rich: bool) -> str:
    sys.path.insert(0, HERE)
    import gen_runbooks  # noqa: E402  (sibling script)

    return gen_runbooks.runbook(n) if rich else gen_runbooks.lean_runbook(n)


def rss_of(argv: list[str]) -> int:
    """The maximum resident set of one run of `argv`, in KiB, read in a
    fresh interpreter (a process's children maximum only ever grows)."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def hyperfine(name: str, command: str, out: str, runs: int, prepare: str | None = None) -> dict:
    export = os.path.join(out, f"{name}.json")
    argv = ["hyperfine", "-N", "--warmup", "1", "--min-runs", str(runs), "--export-json", export, "-n", name]
    if prepare:
        argv += ["--prepare", prepare]
    argv.append(command)
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    with open(export) as f:
        return json.load(f)["results"][0]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runbook", default="target/release/runbook")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--rich-sizes", default="100,1000,5000")
    parser.add_argument("--cases", default="run-cmd,run-foreach,record,check,check-rich")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=None, help="keep inputs and hyperfine JSON here")
    args = parser.parse_args()
    runbook = os.path.abspath(args.runbook)
    sizes = [int(s) for s in args.sizes.split(",")]
    cases = args.cases.split(",")
    out = args.out or tempfile.mkdtemp(prefix="runbook-scale-")
    # `check` is measured cold: the cache would answer every run but the first.
    os.environ["RUNBOOK_NO_CACHE"] = "1"
    os.makedirs(out, exist_ok=True)
    if "run-foreach" in cases:
        try:
            urllib.request.urlopen(f"{URL}/health", timeout=2).read()
        except OSError:
            sys.exit(f"nginx is not up at {URL}: run benches/run/nginx.sh start")

    rows = []
    for case in cases:
        base = cpu_base = None
        before = None
        for n in [int(s) for s in args.rich_sizes.split(",")] if case == "check-rich" else sizes:
            run = f"{runbook} run --non-interactive"
            prepare = None
            if case == "run-cmd":
                path = write(os.path.join(out, f"cmd-{n}.yaml"), cmd_steps(n))
                command = f"{run} --no-record {path}"
            elif case == "run-foreach":
                path = write(os.path.join(out, f"foreach-{n}.yaml"), foreach_items(n))
                records = os.path.join(out, f"foreach-{n}.records")
                prepare = f"rm -rf {records}"
                command = f"{run} --record-dir {records} {path}"
            elif case == "record":
                path = write(os.path.join(out, f"cmd-{n}.yaml"), cmd_steps(n))
                record = os.path.join(out, f"record-{n}")
                shutil.rmtree(record, ignore_errors=True)
                subprocess.run([*run.split(), "--record-dir", record, path], stdout=subprocess.DEVNULL, check=True)
                command = f"{runbook} record {record}"
            elif case in ("check", "check-rich"):
                rich = case == "check-rich"
                path = write(os.path.join(out, f"{'rich' if rich else 'lean'}-{n}.yaml"), generated(n, rich))
                command = f"{runbook} check {path}"
            else:
                sys.exit(f"unknown case {case}")
            at_load = load()
            result = hyperfine(f"{case}-{n}", command, out, args.runs, prepare)
            if prepare:
                subprocess.run(prepare, shell=True, check=True)
            rss = rss_of(command.split())
            per_unit = result["mean"] / n
            base = base or per_unit
            cpu = result["user"] + result["system"]
            cpu_per_unit = cpu / n
            cpu_base = cpu_base or cpu_per_unit
            marginal = (cpu - before[1]) / (n - before[0]) if before else None
            before = (n, cpu)
            rows.append(
                (case, n, result["mean"], result["stddev"] or 0.0, per_unit, per_unit / base,
                 cpu_per_unit, cpu_per_unit / cpu_base, marginal, rss, at_load)
            )
            print(f"{case} N={n}: {result['mean'] * 1e3:.1f} ms", file=sys.stderr)

    print(
        "| case | N | time (mean ± σ) | per unit | vs smallest N | CPU per unit | vs smallest N "
        "| marginal CPU per unit | peak RSS | load (1, 5, 15 min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for case, n, mean, sd, per_unit, growth, cpu_per_unit, cpu_growth, marginal, rss, at_load in rows:
        margin = "" if marginal is None else f"{marginal * 1e6:,.1f} µs"
        print(
            f"| {case} | {n:,} | {mean * 1e3:,.1f} ms ± {sd * 1e3:,.1f} | {per_unit * 1e6:,.1f} µs "
            f"| {growth:.2f}× | {cpu_per_unit * 1e6:,.1f} µs | {cpu_growth:.2f}× | {margin} "
            f"| {rss / 1024:,.1f} MiB | {at_load} |"
        )
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
