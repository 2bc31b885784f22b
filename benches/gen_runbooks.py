#!/usr/bin/env python3
"""Writes the benchmark runbooks: one of N steps, and M copies of it.

Each step is a realistic check (HTTP or command probe, templates,
expectations, a capture, a branch), so `check` exercises the loader and
every rule, not an empty loop.

usage: gen_runbooks.py OUT_DIR [STEPS] [COPIES]
"""
import os
import sys


def runbook(steps: int) -> str:
    lines = [
        "# yaml-language-server: $schema=../schemas/runbook.schema.json",
        "id: bench",
        "title: Benchmark runbook",
        "inputs:",
        "  base_url: { default: \"http://127.0.0.1:8080\" }",
        "  token: { env: BENCH_TOKEN, secret: true, required: false }",
        "steps:",
    ]
    for i in range(steps - 1):
        after = f"s{i + 1}" if i + 2 < steps else "done"
        if i % 2 == 0:
            lines += [
                f"  - id: s{i}",
                f"    title: Probe {i}",
                "    check:",
                f"      http: {{ url: \"{{{{ inputs.base_url }}}}/route/{i}\", timeout: 2s,"
                " headers: { Authorization: \"Bearer {{ inputs.token }}\" } }",
                "      expect:",
                "        - status: { in: [200, 204] }",
                "        - json: $.checks[*].ok",
                "          all: { eq: true }",
                "        - duration: { lt: 500ms }",
                "      capture:",
                f"        v{i}: {{ json: \"$.metadata.version\" }}",
                "    on:",
                f"      pass: {after}",
                "      fail:",
                f"        - when: result.status >= 500 and vars.v{i} is defined",
                "          goto: done",
                f"        - goto: {after}",
                "      error: done",
            ]
        else:
            lines += [
                f"  - id: s{i}",
                "    check:",
                f"      cmd: {{ argv: [echo, \"{{{{ vars.v{i - 1} }}}}\"], timeout: 1s }}",
                "      expect:",
                "        - exit_code: 0",
                "        - stdout: { matches: \"^[0-9.]+\" }",
                f"    next: {after}",
            ]
    lines += [
        "  - id: done",
        "    conclude:",
        "      status: diagnosed",
        "      severity: high",
        "      diagnosis: \"Stopped at {{ run.id }}\"",
    ]
    return "\n".join(lines) + "\n"


def lean_runbook(steps: int) -> str:
    """The same rules as `runbook` (a templated HTTP probe, an expectation,
    a capture, a `when` that joins the last step, a command reading the
    capture) in half the YAML nodes a step (about 23), so that 10,000 steps
    stay within the loader's budget of 250,000 nodes."""
    lines = [
        "id: lean",
        "title: Lean benchmark runbook",
        "inputs:",
        "  base_url: { default: \"http://127.0.0.1:8080\" }",
        "steps:",
    ]
    for i in range(steps - 1):
        after = f"s{i + 1}" if i + 2 < steps else "done"
        if i % 2 == 0:
            lines += [
                f"  - id: s{i}",
                "    check:",
                f"      http: {{ url: \"{{{{ inputs.base_url }}}}/route/{i}\" }}",
                "      expect: [ { status: 200 } ]",
                f"      capture: {{ v{i}: {{ json: \"$.version\" }} }}",
                f"    on: {{ fail: [ {{ when: \"result.status >= 500 and vars.v{i} is defined\", goto: done }},"
                f" {{ goto: {after} }} ] }}",
                f"    next: {after}",
            ]
        else:
            lines += [
                f"  - id: s{i}",
                f"    collect: {{ cmd: {{ sh: \"echo {{{{ vars.v{i - 1} }}}}\" }} }}",
            ]
    lines += [
        "  - id: done",
        "    conclude: { status: diagnosed, diagnosis: \"Stopped at {{ run.id }}\" }",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    out = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    copies = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    os.makedirs(os.path.join(out, "many"), exist_ok=True)
    text = runbook(steps)
    with open(os.path.join(out, "one.yaml"), "w") as f:
        f.write(text)
    for i in range(copies):
        with open(os.path.join(out, "many", f"bench-{i:04}.yaml"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
