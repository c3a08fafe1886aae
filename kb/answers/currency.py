"""Source currency: notices for bodies and law named in old sources that have since changed.

The facts live in one reviewed data file, ``corpus/currency.yaml``; this module
only loads them and finds which ones a cited passage mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["CurrencyFact", "CurrencyFacts", "load_currency"]


@dataclass(frozen=True)
class CurrencyFact:
    """One reviewed change: the terms that name it and what users must be told."""

    id: str
    terms: tuple[str, ...]
    notice: str
    changed: str
    sources: tuple[str, ...]
    case_sensitive: bool = False

    @property
    def pattern(self) -> re.Pattern[str]:
        return _pattern(self.terms, self.case_sensitive)

    def mentioned_in(self, text: str) -> bool:
        return bool(self.pattern.search(" ".join(text.split())))


@lru_cache(maxsize=256)
def _pattern(terms: tuple[str, ...], case_sensitive: bool) -> re.Pattern[str]:
    # Whole words only, so "PCT" does not fire inside "PCTS2" and "IDeA" not inside "idea";
    # whitespace inside a term matches any run of whitespace.
    alternatives = [r"\s+".join(re.escape(w) for w in t.split()) for t in terms if t.strip()]
    body = "|".join(sorted(alternatives, key=len, reverse=True)) or r"(?!)"
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w])", 0 if case_sensitive else re.IGNORECASE)


class CurrencyFacts:
    """The reviewed facts, in file order."""

    def __init__(self, facts: Iterable[CurrencyFact]) -> None:
        self.facts = list(facts)

    @classmethod
    def from_file(cls, path: Path) -> CurrencyFacts:
        """Load ``currency.yaml``; a missing file means no facts."""
        if not path.exists():
            return cls([])
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        facts = []
        for row in data.get("facts") or []:
            facts.append(
                CurrencyFact(
                    id=str(row["id"]),
                    terms=tuple(str(t) for t in row.get("terms") or ()),
                    notice=str(row["notice"]).strip(),
                    changed=str(row.get("changed", "")),
                    sources=tuple(str(s) for s in row.get("sources") or ()),
                    case_sensitive=bool(row.get("case_sensitive", False)),
                )
            )
        return cls(facts)

    def matching(self, text: str) -> list[CurrencyFact]:
        """Facts whose terms occur in ``text``."""
        return [f for f in self.facts if f.mentioned_in(text)]

    def notices_for(self, cited: Iterable[tuple[int, str]]) -> list[str]:
        """One notice per fact that the given texts mention, naming the sources ``[n]``.

        Args:
            cited: ``(n, text)`` for what an answer says: each quoted sentence with its
                source number, and ``n = 0`` for the question itself.
        Returns:
            Notices in the order of the facts file, e.g.
            ``"Sources [1], [3] mention the Audit Commission: ..."``.
        """
        cited = list(cited)
        notices = []
        for fact in self.facts:
            hits = [
                (n, m.group(0))
                for n, text in cited
                if (m := fact.pattern.search(" ".join(text.split())))
            ]
            if not hits:
                continue
            term = " ".join(hits[0][1].split())
            sources = list(dict.fromkeys(n for n, _ in hits if n > 0))
            if sources:
                numbers = ", ".join(f"[{n}]" for n in sources)
                who = (
                    f"Source {numbers} mentions"
                    if len(sources) == 1
                    else f"Sources {numbers} mention"
                )
            else:  # n = 0: the question itself names it
                who = "Your question mentions"
            notices.append(f"{who} “{term}”. Since then: {fact.notice}")
        return notices


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> CurrencyFacts:
    return CurrencyFacts.from_file(Path(path))


def load_currency(path: Path) -> CurrencyFacts:
    """The facts file, re-read when it changes."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return CurrencyFacts([])
    return _load_cached(str(path), mtime)
