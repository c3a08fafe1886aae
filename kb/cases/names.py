"""Short names of case studies, for saying which one a quoted sentence comes from.

A case study's sentences speak of "the councils" and "the partnership": quoted in
an answer, "The partnership provides a revenues and benefits service…" does not
say whose. The answer names the case study before such a sentence; one that
already names a partner council ("Bromsgrove councillors…", "HDC…") needs nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.core.records import CaseRecord

__all__ = ["mentions", "short_name", "unnamed_source"]

# A title this short, every word capitalised, is a name already ("South London Waste
# Partnership"; not "East Kent Services model").
SHORT_TITLE_WORDS = 5
_PREFIX = re.compile(r"^(?:London Borough of|Royal Borough of|Metropolitan Borough of)\s+")
_SUFFIX = re.compile(r"\s+(?:(?:District|Borough|County|City|Town|Parish)\s+)?Councils?$")
_ACRONYM = re.compile(r"\(([A-Z]{2,})\)")


def _council(name: str) -> str:
    return _SUFFIX.sub("", _PREFIX.sub("", name.strip())).strip()


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _named(title: str) -> bool:
    words = title.split()
    return len(words) <= SHORT_TITLE_WORDS and all(w[:1].isupper() for w in words)


def short_name(record: CaseRecord) -> str:
    """ "South Hams and West Devon" (its councils), or its title when that is a name."""
    if _named(record.title):
        return record.title
    names = [n for n in (_council(c) for c in record.councils) if n]
    return _join(names) if names else record.title


def mentions(record: CaseRecord) -> list[str]:
    """How a sentence may name the case: a council's short name, its initials as the
    case study abbreviates it ("HDC"), the title's acronym ("PANNEL"), the short name."""
    out = [short_name(record), *_ACRONYM.findall(record.title)]
    for council in record.councils:
        out.append(_council(council))
        words = [w for w in council.split() if w[:1].isupper()]
        if len(words) >= 2:
            out.append("".join(w[0] for w in words))
    if _named(record.title):
        out.append("".join(w[0] for w in record.title.split() if w[:1].isupper()))
    return [m for m in dict.fromkeys(out) if len(m) >= 2]


def unnamed_source(record: CaseRecord | None, text: str) -> str:
    """The case study's short name when ``text`` is from it and names none of it."""
    if record is None:
        return ""
    for name in mentions(record):
        # Initials count only as written ("HDC"); a name in any case.
        flags = 0 if name.isupper() else re.I
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags):
            return ""
    return short_name(record)
