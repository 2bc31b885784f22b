#!/usr/bin/env python3
"""Writes the runbook of the fingerprint-scan figure (docs/PERFORMANCE.md,
"The fingerprint scan after a resume") to stdout: a step capturing N
tokens of N distinct lengths (10 to 9 + N bytes; `secret: true` when
N > 0, the same output and captures not secret for N = 0), a question the
run stops at, then a step printing 100 MB.

Usage: gen.py N > runbook-N.yaml
"""
import random
import sys

random.seed(7)
n = int(sys.argv[1])
count = max(n, 1)
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
tokens = ["Tk" + "".join(random.choice(alphabet) for _ in range(8 + i)) for i in range(count)]
printed = " ".join(f"k{i}={token}" for i, token in enumerate(tokens))
secret = ", secret: true" if n > 0 else ""
captures = "\n".join(f'        t{i}: {{ regex: "k{i}=(\\\\S+)"{secret} }}' for i in range(count))
print(f"""id: scan
title: Fingerprint scan after a resume
steps:
  - id: login
    check:
      cmd: {{ sh: 'printf "%s\\n" "$T"', env: {{ T: "{printed}" }} }}
      capture:
{captures}
  - id: pause
    ask: {{ type: confirm, question: "Go on?" }}
  - id: big
    check:
      cmd: {{ sh: 'yes "a line of ordinary log output, 1234567890 abcdefghij" | head -c 100000000' }}
  - id: end
    conclude: {{ status: resolved, diagnosis: done }}
""")
