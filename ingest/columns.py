"""Two PDF columns read across: find such runs of lines, and repair or mark them.

Some pages of the guide were extracted line by line across both columns, so a
raw line holds a line of each column ("announced their intention to retire.
Councils district councils were discussing the"). Such lines are about twice
as long as a column line and come in runs. For each run the reading is chosen
that makes both columns continue best, line end to line start (punctuation,
capitals, and the word pairs the rest of the document uses): either each line
in one piece (a full-width table or box: left alone), or each line cut into a
left and a right column line. A run is repaired (the left column's lines, then
the right column's) when the cut reading wins clearly and every line fits a
column; otherwise it is marked, so no answer quotes it as a sentence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["ColumnRun", "find_column_runs", "read_columns"]

# A line this much longer than the document's median line holds two columns'
# worth; this many such lines within WINDOW lines make a run (one wide line
# is a full-width box).
LONG_FACTOR = 1.65
MIN_IN_WINDOW = 3
WINDOW = 5
# A column's sentence may finish on up to this many one-column lines after a run.
TRAILING_LINES = 3
# A run is repaired only when the cut reading beats reading each line whole by
# this much (junction score units, see _junction), per cut line.
REPAIR_MARGIN = 1.0
COLUMN_FACTOR = 1.22
# Read as it stands, at least this share of a run's line junctions must read
# badly before the run is taken for crossed columns.
BAD_SHARE = 0.15
MARK_SHARE = 0.3
# Names and headings make a few junctions read badly even when the columns are
# right; more than this share and the reading is not trusted.
MAX_BAD_SHARE = 0.1
# The right column's line coming first in a raw line is rare (bullets).
RIGHT_FIRST_PENALTY = 1.5
# A word left glued to the next column's ("servicesare") reads badly.
GLUED_PENALTY = 2.0
BEAM = 64

_WORD = re.compile(r"[a-z0-9’'\-]+")
_SENTENCE_END = re.compile(r"[.?!][’”\")]*$")
_LINK = re.compile(r"https?://|www\.", re.I)
_BULLET = re.compile(r"^[•◦▪●\-–*]\s")
_URL_END = re.compile(r"((https?://|www\.)\S*|\S*[?=/]\S*)$", re.I)
_URL_START = re.compile(r"^(https?://|www\.)", re.I)
_URL_TAIL = re.compile(r"^[\w./?=&%#-]*[/?=&][\w./?=&%#-]*(\s|$)")


@dataclass(frozen=True)
class ColumnRun:
    """Raw lines ``start``..``end`` (exclusive) that hold two columns read across.

    ``left`` and ``right`` are the repaired column lines (in reading order);
    both are None when the run could not be repaired and is to be marked.
    """

    start: int
    end: int
    left: tuple[str, ...] | None = None
    right: tuple[str, ...] | None = None

    @property
    def repaired(self) -> bool:
        return self.left is not None


def _collapse(line: str) -> str:
    return " ".join(line.split())


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass
class _Language:
    """Word and word-pair counts of a document's ordinary lines."""

    unigrams: Counter[str]
    bigrams: Counter[tuple[str, str]]
    lower_starts: Counter[str]  # how often a word appears in lower case

    @classmethod
    def of(cls, lines: list[str]) -> _Language:
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        lower: Counter[str] = Counter()
        prev: str | None = None
        for line in lines:
            if not line:
                prev = None
                continue
            for raw_word in line.split():
                word = _words(raw_word)
                if not word:
                    continue
                w = word[0]
                uni[w] += 1
                if raw_word[:1].islower():
                    lower[w] += 1
                if prev is not None:
                    bi[(prev, w)] += 1
                prev = w
        return cls(uni, bi, lower)

    def association(self, a: str, b: str) -> float:
        """How much more often ``a b`` occurs than chance (log ratio, clipped).

        An unseen pair of rare words is neutral; an unseen pair of common words
        ("the will") counts against.
        """
        if not a or not b:
            return 0.0
        total = sum(self.unigrams.values()) or 1
        expected = self.unigrams[a] * self.unigrams[b] / total
        ratio = math.log((self.bigrams[(a, b)] + 0.5) / (expected + 0.5))
        return max(-3.0, min(3.0, ratio))

    def is_word(self, w: str) -> bool:
        return self.unigrams[w] > 0


def _first_word(text: str) -> str:
    words = _words(text)
    return words[0] if words else ""


def _last_word(text: str) -> str:
    words = _words(text)
    return words[-1] if words else ""


def _junction(lang: _Language, a: str | None, b: str) -> float:
    """How well line ``b`` continues line ``a`` in one column (higher is better)."""
    if a is None:
        return 0.0
    if not a:  # after a paragraph break
        return -2.0 if b.lstrip()[:1].islower() else 0.5
    first = b.lstrip()[:1]
    aw, bw = _last_word(a), _first_word(b)
    score = 0.0
    if _URL_START.match(b):
        return 0.5 if a.rstrip().endswith((":", ".")) or not a else 0.0
    if _BULLET.match(b):
        return 1.0 if a.rstrip().endswith((":", ".", ";")) or _BULLET.match(a) else -2.0
    if _URL_END.search(a):
        # A link broken at a line end goes on with the rest of its address.
        if _URL_TAIL.match(b):
            return 3.0
        return 0.5 if not first.islower() else -1.0
    if a.endswith("-") and first.islower():
        return 3.0 if lang.is_word(aw.rstrip("-") + bw) else 1.0
    if _SENTENCE_END.search(a):
        if first.islower():
            return -4.0
        score += 1.0
    elif first.isupper() and bw:
        # A capital mid-sentence: fine for a name, odd for a common word.
        common = lang.lower_starts[bw] > lang.unigrams[bw] / 2
        score -= 3.0 if common else 0.5
    return score + lang.association(aw, bw)
    return score


@dataclass(frozen=True)
class _Option:
    first: str  # text that goes to the column named by ``order[0]``
    second: str
    order: str  # "LR", "RL", "L" (whole line left) or "R"
    penalty: float = 0.0


def _options(lang: _Language, raw: str, width: float) -> list[_Option]:
    """Ways to read one raw line: whole in either column, or cut between the two."""
    # Words set apart by tabs are one justified column line: never cut between them.
    line = re.sub(r" +", " ", raw.replace("\u00a0", " ")).strip(" ")
    # Two column lines run together with no space between ("servicesare").
    glued: list[int] = []
    for m in re.finditer(r"[a-z]{3,}", line):
        token = m.group()
        if lang.is_word(token):
            continue
        for k in range(2, len(token) - 1):
            if lang.is_word(token[:k]) and lang.is_word(token[k:]):
                glued.append(m.start() + k)
    cuts = [m.start() for m in re.finditer(" ", line)] + glued
    options: list[_Option] = []
    whole = _collapse(line)
    if len(whole) <= width:
        unglued = GLUED_PENALTY if glued else 0.0
        options += [_Option(whole, "", "L", unglued), _Option(whole, "", "R", unglued)]
    for cut in cuts:
        left, right = _collapse(line[:cut]), _collapse(line[cut:])
        if left and right and len(left) <= width and len(right) <= width:
            unglued = GLUED_PENALTY if set(glued) - {cut} else 0.0
            options += [
                _Option(left, right, "LR", unglued),
                _Option(left, right, "RL", unglued + RIGHT_FIRST_PENALTY),
            ]
    return options


@dataclass(frozen=True)
class _Reading:
    score: float
    left: tuple[str, ...]
    right: tuple[str, ...]
    cuts: int = 0
    bad: int = 0  # column junctions that read badly


def _extend(
    lang: _Language, r: _Reading, opt: _Option, split_penalty: float, typical: float
) -> _Reading:
    left, right = list(r.left), list(r.right)
    score, cuts, bad = r.score - opt.penalty, r.cuts, r.bad
    parts = {"L": "", "R": ""}
    if len(opt.order) == 1:
        parts[opt.order] = opt.first
    else:
        parts[opt.order[0]], parts[opt.order[1]] = opt.first, opt.second
        cuts += 1
        # Cutting between words that belong together costs what joining them gains.
        score -= split_penalty
        score -= _junction(lang, opt.first, opt.second)
    for name, column in (("L", left), ("R", right)):
        text = parts[name]
        if text:
            prev = column[-1] if column else None
            j = _junction(lang, prev, text)
            score += j + _fill(prev, text, typical)
            bad += j < -1
            column.append(text)
    return _Reading(score, tuple(left), tuple(right), cuts, bad)


def _fill(prev: str | None, text: str, typical: float) -> float:
    """Ragged-right lines are filled: had the next word fitted, it would be on ``prev``."""
    if not prev or _SENTENCE_END.search(prev) or _URL_END.search(prev) or _BULLET.match(text):
        return 0.0
    fill = len(prev) + 1 + len(text.split()[0])
    if fill < 0.8 * typical:
        return -2.0
    return -1.0 if fill < 0.95 * typical else 0.0


def find_column_runs(raw_lines: list[str]) -> list[tuple[int, int]]:
    """Raw line ranges [start, end) that may hold two columns read across."""
    lines = [_collapse(x) for x in raw_lines]
    lengths = sorted(len(x) for x in lines if x)
    if not lengths:
        return []
    typical = lengths[len(lengths) // 2]
    long = [len(x) >= LONG_FACTOR * typical and not _LINK.search(x) for x in lines]
    marked: set[int] = set()
    for i in range(len(lines)):
        window = range(i, min(len(lines), i + WINDOW))
        if sum(long[j] for j in window) >= MIN_IN_WINDOW:
            marked |= {j for j in window if long[j]}
    # Once a run has started, any wide line near its end (one with a link too)
    # carries it on.
    wide = [len(x) >= LONG_FACTOR * typical for x in lines]
    runs: list[tuple[int, int]] = []
    for j in range(len(lines)):
        if runs and wide[j] and j < runs[-1][1] + WINDOW:
            runs[-1] = (runs[-1][0], j + 1)
        elif j in marked:
            runs.append((j, j + 1))
    # A column's sentence may finish on single-column lines after the run.
    out: list[tuple[int, int]] = []
    for start, end in runs:
        last = end
        while end < len(lines) and lines[end] and end - last < TRAILING_LINES:
            end += 1
        out.append((start, end))
    return out


def read_columns(raw_lines: list[str]) -> list[ColumnRun]:
    """Runs of column-crossing lines, each repaired or (left and right None) to be marked.

    Runs that read better as whole lines (a full-width table) are not returned.
    """
    lines = [_collapse(x) for x in raw_lines]
    spans = find_column_runs(raw_lines)
    inside = {i for s, e in spans for i in range(s, e)}
    lang = _Language.of([x for i, x in enumerate(lines) if i not in inside])
    lengths = sorted(len(x) for x in lines if x)
    # Column lines are ragged up to about a fifth over the median line.
    typical = float(lengths[len(lengths) // 2]) if lengths else 40.0
    runs = []
    for start, end in spans:
        run = _read_run(lang, raw_lines, lines, start, end, typical)
        if run is not None:
            runs.append(run)
    return runs


def _read_run(
    lang: _Language, raw_lines: list[str], lines: list[str], start: int, end: int, typical: float
) -> ColumnRun | None:
    width = COLUMN_FACTOR * typical
    # A marked run stops at its last wide line: the lines after it are one column's.
    marked_end = 1 + max(i for i in range(start, end) if len(lines[i]) >= LONG_FACTOR * typical)
    before = next((lines[i] for i in range(start - 1, -1, -1) if lines[i]), None)
    # Read as it stands, a run of crossed columns has many junctions that do not
    # continue ("...discussing the" / "will need to consider"); a wide table has few.
    whole, whole_bad, count = _whole_junctions(lang, lines[start:end], before)
    if whole_bad < max(3, BAD_SHARE * count):
        return None
    # A wide line with no cut into two column lines (words set apart by tabs
    # across the page) is full width: then only a run that reads very badly as
    # it stands is taken for crossed columns, and it is marked.
    if any(
        line and not _options(lang, raw, width)
        for raw, line in zip(raw_lines[start:end], lines[start:end], strict=True)
    ):
        return ColumnRun(start, marked_end) if whole_bad >= MARK_SHARE * count else None
    beam = [_Reading(0.0, (before,) if before else (), ())]
    lead = len(beam[0].left)
    for raw_line, line in zip(raw_lines[start:end], lines[start:end], strict=True):
        if not line:
            # A blank line ends a paragraph in whichever column finished a sentence.
            beam = [
                _Reading(
                    r.score,
                    r.left + (("",) if r.left and _SENTENCE_END.search(r.left[-1]) else ()),
                    r.right + (("",) if r.right and _SENTENCE_END.search(r.right[-1]) else ()),
                    r.cuts,
                    r.bad,
                )
                for r in beam
            ]
            continue
        options = _options(lang, raw_line, width)
        split_penalty = 0.0 if len(line) > width else 2.0
        beam = sorted(
            (_extend(lang, r, o, split_penalty, typical) for r in beam for o in options),
            key=lambda r: -r.score,
        )[:BEAM]
    best = beam[0]
    junctions = sum(1 for x in best.left[lead:] + best.right if x)
    if best.score - whole < REPAIR_MARGIN * best.cuts or best.bad > MAX_BAD_SHARE * junctions:
        return ColumnRun(start, marked_end)
    left = _strip_blanks(best.left[lead:])
    right = _strip_blanks(best.right)
    return ColumnRun(start, end, left, right)


def _whole_junctions(
    lang: _Language, lines: list[str], before: str | None
) -> tuple[float, int, int]:
    """Score, bad junctions and junctions of the lines read as they stand."""
    score, bad, count, prev = 0.0, 0, 0, before
    for line in lines:
        if not line:
            prev = ""
            continue
        j = _junction(lang, prev, line)
        score += j
        bad += j < -1
        count += 1
        prev = line
    return score, bad, count


def _strip_blanks(column: tuple[str, ...]) -> tuple[str, ...]:
    out = list(column)
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    return tuple(out)
