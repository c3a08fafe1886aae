"""Conversation export as Markdown with its citations."""

from __future__ import annotations

from kb.export import conversation_markdown


def test_a_conversation_exports_with_its_numbered_sources() -> None:
    turns = [
        {"role": "user", "content": "Can two councils share a chief executive?"},
        {
            "role": "assistant",
            "content": "Bromsgrove and Redditch appointed a shared chief executive [1].",
            "payload": {
                "citations": [
                    {
                        "n": 1,
                        "title": "Shared services and management",
                        "page": "p. ~58",
                        "section": "Appendix 2 › Case study 1",
                        "date": "2011",
                        "text": "They agreed to appoint a shared chief executive in June 2008.",
                    }
                ],
                "notices": ["The Audit Commission was abolished in 2015."],
                "case_studies": [{"id": "bromsgrove-redditch", "title": "Bromsgrove and Redditch"}],
            },
        },
    ]
    md = conversation_markdown("Chief executives", turns)
    assert md.startswith("# Chief executives\n")
    assert "## Q: Can two councils share a chief executive?" in md
    assert "shared chief executive [1]." in md
    assert "- [1] Shared services and management, Appendix 2 › Case study 1, p. ~58, 2011" in md
    assert "> They agreed to appoint a shared chief executive in June 2008." in md
    assert "> Note: The Audit Commission was abolished in 2015." in md
    assert "Related case studies: Bromsgrove and Redditch" in md
