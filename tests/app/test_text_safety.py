"""Corpus and user text reach the page as text: no markup, no HTML."""

from __future__ import annotations

from app.common import highlighted, md_escape


def test_markup_in_text_is_escaped() -> None:
    nasty = "<script>alert(1)</script> **bold** [link](http://x) :red[red] $x$"
    out = md_escape(nasty)
    for raw in ("<script>", "**bold**", "[link](", ":red[", "$x$"):
        assert raw not in out


def test_highlights_only_the_spans_inside_the_text() -> None:
    text = "Alpha beta. Gamma delta."
    assert highlighted(text, spans=[(12, 24)]).endswith(":orange-background[Gamma delta\\.]")
    assert ":orange-background" not in highlighted(text, spans=[(-20, -5), (30, 40)])
    assert ":orange-background[Alpha beta\\.]" in highlighted(text, quotes=["Alpha  beta."])
