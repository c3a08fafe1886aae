"""Cleaning text copied from a web page or a plain-text file: the article, not the page."""

from __future__ import annotations

import re

from ingest.clean import Cleaned, normalise_line

__all__ = ["clean_plain_text", "clean_web", "clean_web_text"]

# Lines that belong to the web page, not the article. Patterns are anchored
# to whole lines so article sentences that mention, say, cookies survive.
_WEB_CLUTTER = [
    r"skip to content",
    r"(add|share) this article (to|on) .*",
    r"email this article",
    r"view or print a pdf of this page",
    r"share further",
    r"bookmark this page",
    r"share( this)?( on)? (twitter|facebook|linkedin|email)",
    r"by using this website, you accept the use of cookies.*",
    r"(we use|this (web)?site uses) cookies.*",
    r"accept( all)? cookies",
    r"learn more\s*→?",
    r"click here to .*",
    r"to (read|visit) .*please click here\.?",
    r"latest public sector news",
    r"source: pse - .*",
    r"your email address will not be published.*",
    r"thank you! your subscription has been confirmed.*",
    r"subscribe to our newsletter",
    r"sign up (to|for) our newsletter.*",
    r"\d+ min read\b.*",
]
_WEB_CLUTTER_RE = re.compile(r"^(?:" + "|".join(_WEB_CLUTTER) + r")$", re.I)
# Everything after one of these is comments or a sidebar of unrelated news.
_WEB_END = re.compile(
    r"^(leave a reply|tell us what you think.*|there are no comments.*|add your comment|"
    r"public sector executive tv|related (articles|news)|more news|comments)\s*$",
    re.I,
)
# A byline such as "4 min read Written by: Victoria Ford" keeps the author.
_BYLINE = re.compile(r"^\d+ min read\s+written by:\s*(.+)$", re.I)


def clean_web_text(raw: str, end_markers: bool = False) -> str:
    """Article text from a copied web page: one paragraph per line (see clean_web)."""
    return clean_web(raw, end_markers).text


def clean_web(raw: str, end_markers: bool = False) -> Cleaned:
    """Article text from a copied web page: one paragraph per line.

    Share buttons, cookie notices and such prompts go everywhere. With
    ``end_markers`` (a known page whose profile says so) everything from a
    "Related articles" or "Comments" line on goes too; an uploaded page keeps
    what follows such a box and loses only the box's heading line.
    """
    paragraphs: list[str] = []
    result = Cleaned("")
    lines = raw.splitlines()
    for n, line in enumerate(lines):
        text = normalise_line(line)
        text = re.sub(r"^[•▪●]\s*", "", text)
        if not text:
            continue
        if _WEB_END.match(text):
            if end_markers:
                rest = (normalise_line(x) for x in lines[n:])
                result.drop("page end (comments, related articles)", " ".join(x for x in rest if x))
                break
            result.drop("web clutter", text)
            continue
        byline = _BYLINE.match(text)
        if byline:
            paragraphs.append(f"Written by: {byline.group(1)}")
            continue
        if _WEB_CLUTTER_RE.match(text):
            result.drop("web clutter", text)
            continue
        paragraphs.append(text)
    result.text = "\n\n".join(paragraphs)
    return result


def clean_plain_text(raw: str) -> str:
    """Plain text or Markdown: normalised lines, paragraphs kept."""
    out: list[str] = []
    for line in raw.splitlines():
        text = normalise_line(line)
        if text or (out and out[-1]):
            out.append(text)
    return "\n".join(out).strip()
