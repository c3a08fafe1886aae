"""Case studies: what other councils shared, how, and what they said it saved."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.cases import (
    FACETS,
    all_cases,
    facet_values,
    filtered,
    matching,
    names,
    savings_chart,
    savings_rows,
)
from app.common import PAGES, knowledge_base, md_escape, model_ready
from kb.api import QueryError

kb = knowledge_base()
cases = all_cases(kb)
by_id = {str(c["id"]): c for c in cases}


def show_detail(case: dict[str, Any]) -> None:
    st.header(str(case.get("title")))
    st.caption("Full case study" if case.get("kind", "full") == "full" else "Short mention")
    facts = [
        ("Councils and bodies", names(case.get("councils"))),
        ("Council types", names(case.get("council_types"))),
        ("Other partners", names(case.get("partners"))),
        ("Sharing model", names(case.get("model"))),
        ("Services shared", names(case.get("services"))),
        ("Started", names(case.get("started"))),
    ]
    for label, values in facts:
        if values:
            st.markdown(f"**{label}:** " + md_escape(", ".join(values)))
    summary = str(case.get("summary") or "")
    if summary and not str(case.get("approach") or "").startswith(summary[:60]):
        st.markdown(md_escape(str(case["summary"])))
    for field, label in (
        ("approach", "What was the approach?"),
        ("achieved", "What was achieved?"),
        ("learned", "What was learned?"),
    ):
        if case.get(field):
            st.subheader(label)
            st.markdown(md_escape(str(case[field])))
    rows = savings_rows([case])
    if rows:
        st.subheader("Savings as stated")
        for row in rows:
            words = row["In the source's words"]
            st.markdown(
                f"- **£{row['Saving (£)']:,.0f}** {md_escape(row['Over'].lower())}, "
                f"{md_escape(row['Achieved or expected'].lower())}: "
                f"{md_escape(row['What it covers'])}  \n"
                f"  _“{md_escape(words)}”_"
            )
    if case.get("lessons"):
        st.subheader("Lessons")
        st.markdown("\n".join(f"- {md_escape(x)}" for x in names(case["lessons"])))
    if case.get("contacts"):
        st.subheader("Contacts (as given in the source; may be out of date)")
        st.markdown("\n".join(f"- {md_escape(x)}" for x in names(case["contacts"])))
    source = case.get("source") or {}
    if isinstance(source, dict) and source.get("doc_id"):
        record = kb.index.documents.get(str(source["doc_id"]))
        title = record.meta.title if record else source["doc_id"]
        page = source.get("page")
        label = ", ".join(
            str(x)
            for x in (
                title,
                source.get("section"),
                f"p. {page}" if page else "",
                source.get("date"),
            )
            if x
        )
        st.caption("Source: " + md_escape(label))
        params = {"doc": source["doc_id"]}
        if source.get("start") is not None and source.get("end") is not None:
            params.update(start=str(source["start"]), end=str(source["end"]))
        st.page_link(
            PAGES["library"],
            label="Read it in the Library",
            icon=":material/menu_book:",
            query_params=params,
        )


st.title("Case studies")
selected = st.query_params.get("case")
if selected and selected in by_id:
    if st.button("← All case studies"):
        del st.query_params["case"]
        st.rerun()
    show_detail(by_id[selected])
    st.stop()

query = st.text_input(
    "Describe your situation to find similar case studies",
    placeholder="Two district councils want to share revenues and benefits",
)
reasons: dict[str, str] = {}
if query:
    model_ready()
    try:
        reasons = dict(matching(kb, query, k=5))
    except QueryError as exc:
        st.warning(md_escape(str(exc)))

with st.expander("Filters", expanded=True):
    cols = st.columns(len(FACETS) + 1)
    chosen = {}
    for col, (field, label) in zip(cols, FACETS.items(), strict=False):
        chosen[field] = col.multiselect(label, facet_values(cases, field), key=f"f-{field}")
    kind = cols[-1].radio(
        "Show",
        ["all", "full", "short"],
        key="f-kind",
        format_func={"all": "All", "full": "Full case studies", "short": "Short mentions"}.get,
    )

shown = filtered(cases, chosen, kind)
if reasons:
    shown = sorted(
        (c for c in shown if str(c["id"]) in reasons),
        key=lambda c: list(reasons).index(str(c["id"])),
    )
st.caption(f"{len(shown)} of {len(cases)} case studies")
listing, compare = st.tabs(["Case studies", "Compare stated savings"])
with listing:
    for case in shown:
        with st.container(border=True):
            title, action = st.columns([5, 1], vertical_alignment="center")
            kind_label = "" if case.get("kind", "full") == "full" else " (short mention)"
            title.markdown(f"**{md_escape(str(case.get('title')))}**{kind_label}")
            bits = names(case.get("services")) + names(case.get("model"))
            if bits:
                title.caption(md_escape(" · ".join(bits)))
            if reasons.get(str(case["id"])):
                title.caption("Why it matches: " + md_escape(reasons[str(case["id"])]))
            if action.button("Open", key=f"open-{case['id']}"):
                st.query_params["case"] = str(case["id"])
                st.rerun()

rows = savings_rows(shown)
with compare:
    if not rows:
        st.info("None of the case studies shown states a saving in pounds.")
    else:
        st.caption(
            "Savings as each case study states them (mostly in 2011). They are not like for "
            "like: some are per year, some cumulative over several years, some planned."
        )
        st.altair_chart(savings_chart(rows))
        table = pd.DataFrame(rows).drop(columns=["Bar"])
        st.dataframe(
            table,
            hide_index=True,
            column_config={"Saving (£)": st.column_config.NumberColumn(format="£%,.0f")},
        )
