#!/usr/bin/env python3
"""`runbook test` at 10,000 cases, and orquesta's `orquesta-rehearse` on a
workflow of the same shape, side by side in one run.

The runbook (`branches.yaml`) is a branching health check: one HTTP probe
whose outcome is sorted by `when` chains into six conclusions (healthy,
overloaded on 503/429, crashed on another 5xx, misrouted on anything else
and then down, hung on a timeout, down on any other error). Its test file
holds N cases cycling through those seven ways the probe can answer, with
varying status codes; each case mocks the probe and expects the exact path
and the ending status.

The orquesta workflow has the same shape: a `core.http` task whose result
is sorted by `when` transitions into the same tasks, `misrouted` leading to
`down`. Each rehearsal spec mocks the HTTP task's result (a status code, or
a failed execution with an error) and expects the exact task sequence.
`orquesta-rehearse -d` runs a whole directory of specs in one process, the
counterpart of one `runbook test` over one file of N cases.

Every case must pass in both tools (checked before timing). Each pair is
timed in one hyperfine call, runs interleaved under the same load.

usage: test_cases.py [--runbook target/release/runbook] [--cases 10000]
                     [--orquesta-rehearse PATH] [--paired 1000]
                     [--runs 5] [--paired-runs 3] [--out DIR]

`--orquesta-rehearse` is the `orquesta-rehearse` script of a Python
environment with orquesta >= 1.3 (see docs/PERFORMANCE.md for how to get
one); without it only `runbook test` is timed.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

RUNBOOK = """\
id: bench-branches
title: Why does the API fail?
inputs:
  base_url: { description: Service base URL, default: "http://127.0.0.1:8080" }
steps:
  - id: healthz
    check:
      http: { url: "{{ inputs.base_url }}/healthz", timeout: 3s }
      expect: [ { status: 200 } ]
    on:
      pass: healthy
      fail:
        - when: result.status == 503 or result.status == 429
          goto: overloaded
        - when: result.status >= 500
          goto: crashed
        - goto: misrouted
      error:
        - when: result.error.kind == "timeout"
          goto: hung
        - goto: down
  - id: misrouted
    instruct: { text: "/healthz answered neither 200 nor 5xx: check the proxy's routes." }
    next: down
  - id: healthy
    conclude: { status: resolved, severity: info, diagnosis: The API is healthy. }
  - id: overloaded
    conclude: { status: diagnosed, severity: medium, diagnosis: The API sheds load. }
  - id: crashed
    conclude: { status: diagnosed, severity: high, diagnosis: The API crashes while answering. }
  - id: hung
    conclude: { status: diagnosed, severity: high, diagnosis: The API never answers. }
  - id: down
    conclude: { status: diagnosed, severity: critical, diagnosis: The API cannot be reached. }
"""

# core.http succeeds whatever the status code; a transport error fails it.
WORKFLOW = """\
version: 1.0
description: Why does the API fail?
input:
  - base_url
tasks:
  healthz:
    action: core.http url=<% ctx().base_url %>/healthz timeout=3
    next:
      - when: <% succeeded() and result().status_code = 200 %>
        do: healthy
      - when: <% succeeded() and result().status_code in list(503, 429) %>
        do: overloaded
      - when: <% succeeded() and result().status_code >= 500 and not result().status_code in list(503, 429) %>
        do: crashed
      - when: <% succeeded() and result().status_code != 200 and result().status_code < 500 and not result().status_code in list(503, 429) %>
        do: misrouted
      - when: <% failed() and result().error = "timeout" %>
        do: hung
      - when: <% failed() and result().error != "timeout" %>
        do: down
  misrouted:
    action: core.noop
    next:
      - do: down
  healthy:
    action: core.noop
  overloaded:
    action: core.noop
  crashed:
    action: core.noop
  hung:
    action: core.noop
  down:
    action: core.noop
"""


def kind(i: int) -> tuple[str, dict]:
    """The i-th way the probe answers: (description, observation), the
    status codes varying from case to case."""
    match i % 7:
        case 0:
            return "200", {"status": 200}
        case 1:
            return "503", {"status": 503}
        case 2:
            return "429", {"status": 429}
        case 3:
            status = [500, 502, 504, 599][i // 7 % 4]
            return str(status), {"status": status}
        case 4:
            status = [301, 404, 418, 201][i // 7 % 4]
            return str(status), {"status": status}
        case 5:
            return "timeout", {"error": "timeout"}
        case _:
            return "refused", {"error": "refused"}


def path_of(observation: dict) -> list[str]:
    if "error" in observation:
        return ["healthz", "hung" if observation["error"] == "timeout" else "down"]
    status = observation["status"]
    if status == 200:
        return ["healthz", "healthy"]
    if status in (503, 429):
        return ["healthz", "overloaded"]
    if status >= 500:
        return ["healthz", "crashed"]
    return ["healthz", "misrouted", "down"]


def runbook_cases(n: int) -> str:
    lines = ["cases:"]
    for i in range(n):
        name, observation = kind(i)
        mock = json.dumps({"error": observation["error"]} if "error" in observation else {"http": observation})
        path = path_of(observation)
        status = "resolved" if path[-1] == "healthy" else "diagnosed"
        lines.append(f"  - name: case {i} ({name})")
        lines.append(f"    observations: {{ healthz: {mock} }}")
        lines.append(f"    expect: {{ path: {json.dumps(path)}, status: {status} }}")
    return "\n".join(lines) + "\n"


def rehearsal_spec(i: int) -> str:
    _, observation = kind(i)
    if "error" in observation:
        execution = {"task_id": "healthz", "status": "failed", "result": {"error": observation["error"]}}
    else:
        execution = {"task_id": "healthz", "result": {"status_code": observation["status"]}}
    path = path_of(observation)
    spec = {
        "workflow": "workflows/branches.yaml",
        "inputs": {"base_url": "http://127.0.0.1:8080"},
        "expected_task_sequence": path,
        "mock_action_executions": [execution],
    }
    if path[-1] == "down":
        # orquesta gives a task reached by more than one transition a route
        # of its own, named after the transition taken.
        spec["expected_task_sequence"] = path[:-1] + ["down__r1"]
        spec["expected_routes"] = [[], [f"{path[-2]}__t0"]]
    return json.dumps(spec) + "\n"


def write(path: str, text: str) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def runbook_dir(out: str, n: int) -> str:
    """`branches.yaml` and its test file of `n` cases; the test file."""
    base = os.path.join(out, f"runbook-{n}")
    write(os.path.join(base, "branches.yaml"), RUNBOOK)
    return write(os.path.join(base, "branches.test.yaml"), runbook_cases(n))


def orquesta_dir(out: str, n: int) -> str:
    """The workflow and `n` rehearsal specs; the base path."""
    base = os.path.join(out, f"orquesta-{n}")
    write(os.path.join(base, "workflows", "branches.yaml"), WORKFLOW)
    for i in range(n):
        write(os.path.join(base, "tests", f"case-{i:05}.yaml"), rehearsal_spec(i))
    return base


def must_pass(argv: list[str], what: str, expect: str | None = None) -> None:
    """Runs `argv` once; stops the bench unless it exits 0 (and, when
    `expect` is given, prints it)."""
    done = subprocess.run(argv, capture_output=True, text=True)
    output = done.stdout + done.stderr
    if done.returncode != 0 or (expect is not None and expect not in output):
        sys.exit(f"{what} did not pass (exit {done.returncode}):\n{output[-3000:]}")


def hyperfine(out: str, name: str, commands: list[tuple[str, str]], runs: int) -> list[dict]:
    export = os.path.join(out, f"{name}.json")
    argv = ["hyperfine", "-N", "--warmup", "1", "--min-runs", str(runs), "--export-json", export]
    argv += ["--export-markdown", os.path.join(out, f"{name}.md")]
    for label, command in commands:
        argv += ["-n", label, command]
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    with open(export) as f:
        return json.load(f)["results"]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def row(result: dict, n: int, at_load: str) -> str:
    mean, sd = result["mean"], result["stddev"] or 0.0
    cpu = result["user"] + result["system"]
    return (
        f"| {result['command']} | {n:,} | {mean:.3f} s ± {sd:.3f} | {cpu:.3f} s "
        f"| {mean / n * 1e6:,.1f} µs | {at_load} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runbook", default="target/release/runbook")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--orquesta-rehearse", default=None, help="path of the orquesta-rehearse script")
    parser.add_argument("--paired", type=int, default=1_000, help="cases in the side-by-side run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--paired-runs", type=int, default=3, help="runs of the side-by-side pair (orquesta is slow)")
    parser.add_argument("--out", default=None, help="keep inputs and hyperfine JSON here")
    args = parser.parse_args()
    runbook = os.path.abspath(args.runbook)
    out = args.out or tempfile.mkdtemp(prefix="runbook-test-bench-")
    os.makedirs(out, exist_ok=True)

    rows = []
    test_file = runbook_dir(out, args.cases)
    must_pass([runbook, "test", test_file], f"runbook test of {args.cases} cases", f"{args.cases} passed, 0 failed")
    at_load = load()
    [result] = hyperfine(out, f"runbook-test-{args.cases}", [("runbook test", f"{runbook} test {test_file}")], args.runs)
    rows.append(row(result, args.cases, at_load))
    print(f"runbook test, {args.cases} cases: {result['mean']:.3f} s", file=sys.stderr)

    if args.orquesta_rehearse:
        n = args.paired
        test_file = runbook_dir(out, n)
        base = orquesta_dir(out, n)
        rehearse = os.path.abspath(args.orquesta_rehearse)
        must_pass([runbook, "test", test_file], f"runbook test of {n} cases", f"{n} passed, 0 failed")
        # Exits 1 if any spec fails; logs one line per spec that passes.
        must_pass([rehearse, "-p", base, "-d", "tests"], f"orquesta-rehearse of {n} specs")
        at_load = load()
        results = hyperfine(
            out,
            f"side-by-side-{n}",
            [("runbook test", f"{runbook} test {test_file}"), ("orquesta-rehearse", f"{rehearse} -p {base} -d tests")],
            args.paired_runs,
        )
        rows += [row(result, n, at_load) for result in results]
        ours, theirs = results
        ratio = theirs["mean"] / ours["mean"]
        cpu_ratio = (theirs["user"] + theirs["system"]) / (ours["user"] + ours["system"])
        print(f"side by side, {n} cases: orquesta-rehearse / runbook test = {ratio:.1f}× (CPU {cpu_ratio:.1f}×)")

    print("| command | cases | wall (mean ± σ) | CPU (user + sys) | per case | load (1, 5, 15 min) |")
    print("|---|---|---|---|---|---|")
    for line in rows:
        print(line)
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
