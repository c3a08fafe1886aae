"""Compare two retrieval reports: what got better, what got worse, and is it a regression.

Metrics are recomputed from the per-question records over the questions both
reports share, so a ``--subset`` run can be compared with a full baseline,
and a gold set that grew does not read as a change in quality.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eval.retrieval import QUALITY_METRICS

DEFAULT_TOLERANCE = 0.01  # absolute; about three questions of the 279 in gold set v1


@dataclass(frozen=True)
class Change:
    mode: str
    metric: str
    old: float
    new: float

    @property
    def delta(self) -> float:
        return self.new - self.old


@dataclass
class Comparison:
    """The outcome of comparing a new report against an old one."""

    tolerance: float
    common_questions: int
    changes: list[Change] = field(default_factory=list)
    latency: list[Change] = field(default_factory=list)
    lost: dict[str, list[str]] = field(default_factory=dict)  # mode -> hit@5 before, not now
    gained: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.delta < -self.tolerance]

    @property
    def improvements(self) -> list[Change]:
        return [c for c in self.changes if c.delta > self.tolerance]

    @property
    def ok(self) -> bool:
        return not self.regressions


def _mean(questions: Mapping[str, Any], ids: list[str], metric: str) -> float:
    return float(np.mean([questions[q]["scores"][metric] for q in ids])) if ids else 0.0


def compare_reports(
    old: Mapping[str, Any], new: Mapping[str, Any], tolerance: float = DEFAULT_TOLERANCE
) -> Comparison:
    """Compare every configuration present in both reports on their shared questions."""
    warnings = []
    old_stamp, new_stamp = old.get("stamp", {}), new.get("stamp", {})
    for key, what in (("gold_hash", "gold sets"), ("corpus_hash", "corpus"), ("model", "model")):
        if old_stamp.get(key) != new_stamp.get(key):
            warnings.append(
                f"{what} differ ({old_stamp.get(key)} -> {new_stamp.get(key)}); "
                "read the figures with that in mind."
            )
    modes = [m for m in new["configs"] if m in old["configs"]]
    for m in old["configs"]:
        if m not in new["configs"]:
            warnings.append(f"configuration {m} is in the old report only.")
    for m in new["configs"]:
        if m not in old["configs"]:
            warnings.append(f"configuration {m} is new; nothing to compare it with.")
    result = Comparison(tolerance=tolerance, common_questions=0, warnings=warnings)
    for mode in modes:
        oq, nq = old["configs"][mode]["questions"], new["configs"][mode]["questions"]
        ids = sorted(set(oq) & set(nq))
        result.common_questions = max(result.common_questions, len(ids))
        if len(ids) < len(nq):
            warnings.append(
                f"{mode}: {len(nq) - len(ids)} question(s) of the new report are not in the old."
            )
        for metric in QUALITY_METRICS:
            if all(metric in oq[q]["scores"] and metric in nq[q]["scores"] for q in ids):
                result.changes.append(
                    Change(mode, metric, _mean(oq, ids, metric), _mean(nq, ids, metric))
                )
        for key in ("latency_p50_ms", "latency_p95_ms"):
            before = old["configs"][mode]["overall"].get(key)
            after = new["configs"][mode]["overall"].get(key)
            if before is not None and after is not None:
                result.latency.append(Change(mode, key, float(before), float(after)))
        result.lost[mode] = [q for q in ids if oq[q]["scores"]["hit@5"] > nq[q]["scores"]["hit@5"]]
        result.gained[mode] = [
            q for q in ids if oq[q]["scores"]["hit@5"] < nq[q]["scores"]["hit@5"]
        ]
    return result


def format_comparison(c: Comparison) -> str:
    """Readable lines: one per metric with old, new, change and a verdict."""
    lines = [f"Compared on {c.common_questions} shared questions (tolerance {c.tolerance:.3f})."]
    lines += [f"warning: {w}" for w in c.warnings]
    mode = None
    for ch in c.changes:
        if ch.mode != mode:
            mode = ch.mode
            lines.append(f"{mode}:")
        if ch.delta < -c.tolerance:
            verdict = "WORSE"
        elif ch.delta > c.tolerance:
            verdict = "better"
        else:
            verdict = "same"
        lines.append(
            f"  {ch.metric:<15} {ch.old:.3f} -> {ch.new:.3f}  ({ch.delta:+.3f})  {verdict}"
        )
    for ch in c.latency:
        # Timings depend on the machine and its load: shown, never a failure.
        lines.append(f"  {ch.mode} {ch.metric:<15} {ch.old:.1f} -> {ch.new:.1f} ms")
    for m in c.lost:
        if c.lost[m]:
            lines.append(f"{m}: lost Hit@5 on {', '.join(c.lost[m])}")
        if c.gained[m]:
            lines.append(f"{m}: gained Hit@5 on {', '.join(c.gained[m])}")
    if c.regressions:
        worst = ", ".join(f"{r.mode} {r.metric} {r.delta:+.3f}" for r in c.regressions)
        lines.append(f"REGRESSION beyond tolerance: {worst}")
    else:
        lines.append("No regression beyond tolerance.")
    return "\n".join(lines)
