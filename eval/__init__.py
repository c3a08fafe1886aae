"""Evaluation: gold sets, retrieval and answer metrics, reports and their comparison.

The modules are imported one by one (``from eval.retrieval import ...``); this
package imports nothing itself so that ``kb --help`` stays quick.
"""

__all__ = ["answers", "case_matching", "cli", "compare", "feedback", "gold", "report", "retrieval"]
