"""Check one hand-written batch of labelled complaints (JSON Lines) before it is merged.

Usage: python training_data/check_batch.py training_data/batches/NAME.jsonl [--min-reason N] [--min-pillar N]

Each line is one complaint:
  {"text": "...", "causes": ["communication.delay_in_response", ...], "pillars": ["planning", ...],
   "team": "Fostering", "stage": 1, "outcome": "Partially upheld"}
The checker reports unknown ids, missing fields, duplicate or near-duplicate texts and label counts.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REASONS = """
communication.data_breach communication.delay_in_response communication.not_kept_informed
communication.not_explained communication.no_notice communication.staff_unavailable
cost.inappropriate_charge cost.payments_not_received cost.money_wasted cost.financial_support_changed
delay.timescales_missed delay.service_too_slow
discrimination.age discrimination.class discrimination.gender discrimination.disability
discrimination.race discrimination.personal
eligibility.general eligibility.personal
non_delivery.visit_frequency non_delivery.support_not_provided
quality.errors_in_records quality.insensitive_service quality.policy_not_followed quality.no_benefit
quality.teams_not_joined_up quality.staff_changes quality.website
staff_attitude.lack_of_empathy staff_attitude.lack_of_competence staff_attitude.rude_behaviour
decision.case_closed decision.other decision.contact_frequency decision.assessment_outcome
""".split()
PILLARS = """purposeful_visits assessments planning voice_of_child partnership_working recording
management_oversight""".split()
TEAMS = {
    "Front Door / MASH", "Assessment", "Child Protection", "Children in Need", "Children in Care",
    "Fostering", "Adoption", "Special Guardianship", "Leaving Care", "Disabled Children",
    "Out of Hours", "Early Help", "Complaints Team", "Youth Justice", "Residential",
}
OUTCOMES = {"Upheld", "Partially upheld", "Not upheld", "Withdrawn"}


def shingles(text: str) -> set[str]:
    words = re.findall(r"[a-z']+", text.lower())
    return {" ".join(words[i : i + 5]) for i in range(max(0, len(words) - 4))}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--min-reason", type=int, default=0)
    parser.add_argument("--min-pillar", type=int, default=0)
    args = parser.parse_args()
    problems: list[str] = []
    rows = []
    for n, line in enumerate(args.path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {n}: not valid JSON ({exc})")
            continue
        for key in ("text", "causes", "pillars", "team", "stage", "outcome"):
            if key not in row:
                problems.append(f"line {n}: missing {key!r}")
        if not str(row.get("text", "")).strip():
            problems.append(f"line {n}: empty text")
        for c in row.get("causes", []):
            if c not in REASONS:
                problems.append(f"line {n}: unknown cause {c!r}")
        for p in row.get("pillars", []):
            if p not in PILLARS:
                problems.append(f"line {n}: unknown pillar {p!r}")
        if row.get("team") not in TEAMS:
            problems.append(f"line {n}: team {row.get('team')!r} not in {sorted(TEAMS)}")
        if row.get("stage") not in (1, 2, 3):
            problems.append(f"line {n}: stage must be 1, 2 or 3")
        if row.get("outcome") not in OUTCOMES:
            problems.append(f"line {n}: outcome {row.get('outcome')!r} not in {sorted(OUTCOMES)}")
        rows.append((n, row))

    seen: dict[str, int] = {}
    sh = []
    for n, row in rows:
        key = re.sub(r"\W+", " ", str(row.get("text", "")).lower()).strip()
        if key in seen:
            problems.append(f"line {n}: same text as line {seen[key]}")
        seen.setdefault(key, n)
        sh.append((n, shingles(str(row.get("text", "")))))
    for i in range(len(sh)):
        for j in range(i + 1, len(sh)):
            a, b = sh[i][1], sh[j][1]
            if len(a) >= 8 and len(b) >= 8:
                jac = len(a & b) / len(a | b)
                if jac > 0.5:
                    problems.append(f"line {sh[j][0]}: near-duplicate of line {sh[i][0]} ({jac:.2f})")

    reasons = Counter(c for _, r in rows for c in r.get("causes", []))
    pillars = Counter(p for _, r in rows for p in r.get("pillars", []))
    multi = sum(len(set(r.get("causes", []))) >= 2 for _, r in rows)
    lengths = sorted(len(str(r.get("text", "")).split()) for _, r in rows)
    print(f"{len(rows)} complaints; {multi} ({multi / max(1, len(rows)):.0%}) with 2+ reasons")
    if lengths:
        print(f"words: min {lengths[0]}, median {lengths[len(lengths) // 2]}, max {lengths[-1]}")
    print("reasons:")
    for c in REASONS:
        flag = "  <-- below minimum" if reasons[c] < args.min_reason else ""
        print(f"  {reasons[c]:4d} {c}{flag}")
    print("pillars:")
    for p in PILLARS:
        flag = "  <-- below minimum" if pillars[p] < args.min_pillar else ""
        print(f"  {pillars[p]:4d} {p}{flag}")
    if problems:
        print(f"{len(problems)} problem(s):")
        for p in problems[:60]:
            print("  " + p)
        return 1
    print("no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
