#!/usr/bin/env python3
"""Shared part of the pre-run reviewer adapters (docs/review.md).

Reads goldfish's review request (one JSON document) on stdin, builds a prompt from it, runs an
AI command-line tool with that prompt (argv, no shell), and prints goldfish's review answer
({"findings": [...], "summary": ...}) on stdout. Whatever the tool answers that is not the
expected JSON becomes a single warning finding, so a chatty model never blocks a run by accident.
Exits non-zero only when the tool cannot run at all: goldfish then records the review as
`error` and lets the run go ahead (fail-open).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

SEVERITIES = {"note", "warning", "error"}

INSTRUCTIONS = """You review one stage of a machine-learning pipeline before it runs.
Look for bugs that would waste the run: data leakage, wrong shapes or dtypes, inputs or outputs
read or written under the wrong name, a config key the code ignores, silent NaN sources,
a change that contradicts the stated reason or results spec.
Answer with ONE JSON object and nothing else:
{"findings": [{"check": "<short_name>", "severity": "note|warning|error", "message": "<one sentence>",
"subject": "<file or name, optional>"}], "summary": "<one paragraph>"}
Use severity "error" only for a defect that makes the run useless; an empty findings list is fine."""


def prompt(request: dict) -> str:
    return INSTRUCTIONS + "\n\nThe review request (JSON):\n" + json.dumps(request, indent=1)[:400_000]


def answer(text: str) -> dict:
    """The first JSON object in the tool's text that has a findings list, cleaned up."""
    for match in re.finditer(r"\{", text):
        try:
            value, _ = json.JSONDecoder().raw_decode(text[match.start():])
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("findings"), list):
            findings = []
            for item in value["findings"]:
                if not isinstance(item, dict) or not str(item.get("message", "")).strip():
                    continue
                severity = item.get("severity") if item.get("severity") in SEVERITIES else "warning"
                finding = {"check": str(item.get("check") or "reviewer"), "severity": severity,
                           "message": str(item["message"])[:4000]}
                if item.get("subject"):
                    finding["subject"] = str(item["subject"])
                findings.append(finding)
            return {"findings": findings, "summary": str(value.get("summary", ""))[:20_000]}
    return {"findings": [{"check": "reviewer_unparsed", "severity": "warning",
                          "message": "the reviewer answered without the expected JSON; see the review's full text"}],
            "summary": text[:20_000]}


def main(argv_for_prompt) -> int:
    request = json.load(sys.stdin)
    argv = argv_for_prompt(prompt(request))
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as problem:
        print(f"cannot run {argv[0]}: {problem}", file=sys.stderr)
        return 2
    if done.returncode != 0:
        print(f"{argv[0]} exited with code {done.returncode}: {done.stderr[-2000:]}", file=sys.stderr)
        return 1
    print(json.dumps(answer(done.stdout)))
    return 0
