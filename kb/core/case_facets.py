"""The controlled vocabulary of case-study facets, and the rules that read facets from text.

Used at ingest (to derive a case study's services, model and savings from its
text) and at query time (to see which services, council types and sharing
model an officer's question is about), so both sides speak the same words.
"""

from __future__ import annotations

import re

from kb.core.records import Saving
from kb.core.text import collapse, split_sentences

__all__ = [
    "COUNCIL_TYPES",
    "MODELS",
    "SERVICES",
    "council_types_of",
    "detect_council_types",
    "detect_model",
    "detect_services",
    "flow",
    "format_gbp",
    "parse_savings",
    "sentences",
]

# Service -> patterns that name it. Order is the order shown to users.
SERVICES: dict[str, tuple[str, ...]] = {
    "chief executive and management team": (
        r"chief executives?",
        r"management teams?",
        r"shared management",
        r"senior manage\w*",
        r"head of paid service",
        r"joint management",
        r"directors? (?:were|was|have been) appointed",
    ),
    "revenues and benefits": (
        r"revenues? and benefits?",
        r"benefits? (?:service|claims?|customers|processing|staff)",
        r"council tax",
        r"housing benefits?",
    ),
    "customer services and contact centre": (
        r"customer servic\w*",
        r"call cent(?:re|er)s?",
        r"contact cent(?:re|er)s?",
        r"customer contact",
        r"switchboard",
        r"one[- ]stop[- ]shop",
        r"front office",
        r"customer first",
    ),
    "ICT": (
        r"\bICT\b",
        r"\bIT (?:services?|systems?|infrastructure|platform)",
        r"information (?:and communications )?technology",
        r"information management",
        r"enterprise (?:resource )?planning",
        r"data cent(?:re|er)",
    ),
    "HR": (r"human resources", r"\bHR\b", r"personnel", r"payroll"),
    "finance": (r"\bfinance\b", r"financial services", r"section 151", r"accountancy"),
    "procurement": (
        r"procur\w*",
        r"purchasing",
        r"category management",
        r"tender\w*",
        r"suppliers?",
    ),
    "legal": (
        r"\blegal services?\b",
        r"legal and democratic",
        r"\blegal\b(?! (?:advice|advisors?|uncertainty|implications|agreement|basis))",
    ),
    "waste": (r"\bwaste\b", r"recycl\w*", r"landfill", r"refuse", r"wheelie bins?", r"composting"),
    "building control": (r"building control",),
    "regulatory services": (
        r"regulatory services",
        r"environmental health",
        r"trading standards",
        r"licensing",
        r"pest control",
    ),
    "audit": (r"\baudit\b(?! commission)", r"internal audit"),
    "property": (r"\bproperty\b", r"facilities management", r"capital assets", r"\bassets\b"),
    "housing": (r"housing management", r"\bALMO\b", r"housing services?", r"residual housing"),
    "democratic and electoral services": (r"electoral services", r"\belections\b", r"democratic"),
    "community safety": (r"community safety", r"\bCCTV\b"),
    "planning": (r"\bplanning (?:service|document|policy)", r"\bplanning;"),
    "libraries": (r"librar(?:y|ies)",),
    "social care": (r"social care", r"adoption", r"care services"),
    "pensions and welfare advice": (r"pensions? (?:advice|service)", r"financial assessments"),
    "economic development": (r"economic development",),
    "highways": (r"highways",),
    "communications": (r"media and communications", r"communications team"),
    "resilience": (r"resilience team", r"emergency planning"),
}

COUNCIL_TYPES = (
    "district",
    "county",
    "unitary",
    "metropolitan",
    "London borough",
    "health",
    "police",
    "central government",
    "private partner",
    "arms-length company",
    "voluntary sector",
)

# Sharing models, after the guide's "What approach will we adopt?" (CIPFA's three
# models) plus the shapes its case studies take.
MODELS = (
    "shared management",
    "joint committee",
    "company or joint venture",
    "lead authority",
    "joint working",
)

_MODEL_RULES: tuple[tuple[str, str], ...] = (
    ("company or joint venture", r"\bcompany\b|joint venture|teckal|\bltd\b|limited by shares"),
    ("joint committee", r"joint (?:\w+ )?committee|joint arrangements committee"),
    (
        "shared management",
        r"(?:joint|shared|single) (?:chief executive|management team)"
        r"|share (?:a|the|their) chief executive|shared management",
    ),
    (
        "lead authority",
        r"\bhost\w*|lead authority|principal partner|\bled by\b|on behalf of"
        r"|provides? an? \w+ (?:service|function) for|became the employer"
        r"|managed service",
    ),
)

_QUERY_TYPES: tuple[tuple[str, str], ...] = (
    ("district", r"\bdistricts?\b|\bborough councils?\b|\btwo[- ]tier\b|\bacross tiers\b"),
    ("county", r"\bcount(?:y|ies)\b|\bacross tiers\b|\btwo[- ]tier\b"),
    ("unitary", r"\bunitar(?:y|ies)\b"),
    ("metropolitan", r"\bmetropolitan\b|\bmets?\b|\bcity councils?\b"),
    ("London borough", r"\blondon\b|\bboroughs\b"),
    ("health", r"\bhealth\b|\bnhs\b|\bpct\b|\bgp\b"),
    ("police", r"\bpolice\b"),
    ("private partner", r"\bprivate (?:sector|partner|company|firm)\b|\boutsourc\w*"),
    ("arms-length company", r"\bcompany\b|\balmo\b"),
)


def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


_SERVICE_RES = {name: _compiled(pats) for name, pats in SERVICES.items()}


def detect_services(text: str) -> list[str]:
    """Services of the vocabulary that the text names, in vocabulary order."""
    return [name for name, rx in _SERVICE_RES.items() if rx.search(text)]


def detect_council_types(text: str) -> list[str]:
    """Council and body types a question mentions ("two district councils", "across tiers")."""
    return [name for name, rx in _QUERY_TYPES if re.search(rx, text, re.I)]


def detect_model(text: str) -> str | None:
    """The first sharing model whose words the text uses, or None."""
    for name, rx in _MODEL_RULES:
        if re.search(rx, text, re.I):
            return name
    return None


def council_types_of(names: list[str]) -> list[str]:
    """Types read from council names ("Redditch Borough Council" -> district)."""
    found: list[str] = []
    for name in names:
        low = name.lower()
        if "london borough" in low or "royal borough" in low:
            kind = "London borough"
        elif "metropolitan" in low:
            kind = "metropolitan"
        elif "county council" in low:
            kind = "county"
        elif "district council" in low or "borough council" in low:
            kind = "district"
        elif "police" in low:
            kind = "police"
        elif re.search(r"\b(nhs|pct|primary care|health)\b", low):
            kind = "health"
        else:
            continue
        if kind not in found:
            found.append(kind)
    return found


# --- sentences and savings -------------------------------------------------


def flow(text: str) -> str:
    """Join paragraphs that a page break split mid-sentence (next one starts in lower case)."""
    return re.sub(r"(?<![.:;!?])\n\s*\n(?=[a-z])", " ", text)


def sentences(text: str) -> list[str]:
    """Sentences of a text by the one splitter (:func:`kb.core.text.split_sentences`),
    once paragraphs a page break split mid-sentence are joined; bullets taken off."""
    pieces = (collapse(p.replace("•", " ")) for p in split_sentences(flow(text)))
    return [p for p in pieces if p]


_AMOUNT = re.compile(r"£\s?(\d[\d,]*(?:\.\d+)?)\s*(k\b|m\b|bn\b|million\b|billion\b)?", re.I)
_SAVING_WORDS = re.compile(r"\bsav(?:e|es|ed|ing|ings)\b|\bcashable\b", re.I)
# Words right before an amount that make it a cost, income or budget, not a saving.
_NOT_SAVING = re.compile(
    r"(?:costs?|cost of|investment|invested|invest|fund(?:ing)?|spend|spent|budget|income|"
    r"credits?|contribution|paid|unravel|turnover|funding of|of about|of around)\W+"
    r"(?:\w+\W+){0,2}$",
    re.I,
)
_PER_YEAR = re.compile(
    r"per annum|a year\b|per year|every year|each year|annually|\bannual\b|in (?:the|its) first"
    r" (?:full )?year|in \d{4}/\d{2}|full year",
    re.I,
)
_CUMULATIVE = re.compile(
    r"\bover (?:the|a|its)\b|\bsince\b|\bto date\b|up to|\bexceeded\b|in excess|\bin total\b|"
    r"\btotal\b|\bwhole life\b|\bperiod\b|\blast \w+ years\b|\bten-year\b|\bso far\b|"
    r"\bhave been\b|\bhas saved\b|\bhave saved\b|\bmade savings\b|\bdelivered\b|\bgross\b",
    re.I,
)
_ONE_OFF = re.compile(r"one-off|one off|e-auction|single contract", re.I)
_PROJECTED = re.compile(
    r"\bexpect\w*|\bprojected\b|\bestimated?\b|\bpotential\b|\bwill\b|\bplans? to\b|"
    r"\bforecast\w*|\banticipated\b|\bcould\b|\bhope\w*",
    re.I,
)
_REFERS_AFTER = re.compile(
    r"^[^.;:]{0,40}?\b(through|from|on|across) ((?!each\b|both\b|the two\b)[^.;:()£,]{6,90}?)"
    r"(?=[.;:,(]| which| while| in the| over| since|$)",
    re.I,
)
_REFERS_BEFORE = re.compile(
    r"\bsav\w* (from|through|on|in) ([^,;£]{6,80}?) (?:were|was|have|has|will|across)\b", re.I
)

_SCALE = {"k": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}


def _amount(number: str, scale: str | None) -> float:
    value = float(number.replace(",", ""))
    return value * _SCALE.get((scale or "").lower(), 1.0)


def format_gbp(amount: float) -> str:
    """£500,000, £1.5 million, £2 million, £1.34bn as a person writes them."""
    if amount >= 1e9:
        return f"£{amount / 1e9:.2f}".rstrip("0").rstrip(".") + "bn"
    if amount >= 1e6:
        return f"£{amount / 1e6:.2f}".rstrip("0").rstrip(".") + " million"
    return f"£{amount:,.0f}"


def parse_savings(text: str, doc_id: str | None = None) -> list[Saving]:
    """Savings stated in pounds: every £ amount in a sentence about saving that is not a cost.

    Keeps the sentence; ``period`` and ``refers_to`` are best-effort readings
    that the reviewed data file may correct.
    """
    found: list[Saving] = []
    for sentence in sentences(text):
        if not _SAVING_WORDS.search(sentence) or "£" not in sentence:
            continue
        for m in _AMOUNT.finditer(sentence):
            before = sentence[: m.start()]
            if _NOT_SAVING.search(before) and not re.search(
                r"sav\w*\W+(?:\w+\W+){0,3}$", before, re.I
            ):
                continue
            after = sentence[m.end() : m.end() + 80]
            # The clause the amount sits in: from the last comma/semicolon before it.
            clause_start = max(before.rfind(","), before.rfind(";"), before.rfind("–"))
            clause = before[clause_start + 1 :] + m.group(0) + re.split(r"[.,;]", after)[0]
            if not _SAVING_WORDS.search(clause) and not _SAVING_WORDS.search(before[-60:]):
                continue
            if re.match(r"\s*(?:of|in) (?:costs?|investment|funding)", after, re.I):
                continue
            found.append(
                Saving(
                    amount_gbp=_amount(m.group(1), m.group(2)),
                    period=_period(clause, sentence),
                    refers_to=_refers_to(after, before),
                    sentence=sentence,
                    projected=bool(_PROJECTED.search(clause)),
                    doc_id=doc_id,
                )
            )
    return found


def _period(clause: str, sentence: str) -> str:
    for text in (clause, sentence):
        if _ONE_OFF.search(text):
            return "one-off"
        if _PER_YEAR.search(text) and not re.search(
            r"over the next|over (?:a|the) \w+[- ]year", text, re.I
        ):
            return "per year"
        if _CUMULATIVE.search(text):
            return "cumulative"
    return "cumulative"


def _refers_to(after: str, before: str) -> str:
    m = _REFERS_AFTER.search(after)
    if m is None:
        m = _REFERS_BEFORE.search(before)
    return " ".join(f"{m.group(1)} {m.group(2)}".split()) if m else ""
