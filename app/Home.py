"""The entry point (`streamlit run app/Home.py`): sign-in, then the page the user chose."""

from __future__ import annotations

import streamlit as st

from app.common import PAGES, page_style, require_user

st.set_page_config(page_title="Shared services guidance", page_icon="📚", layout="wide")
page_style()
require_user()
page = st.navigation(
    [
        st.Page(PAGES["home"], title="Home", icon=":material/home:", default=True),
        st.Page(PAGES["ask"], title="Ask", icon=":material/chat:", url_path="ask"),
        st.Page(
            PAGES["cases"], title="Case studies", icon=":material/apartment:", url_path="cases"
        ),
        st.Page(
            PAGES["checklist"], title="Checklist", icon=":material/checklist:", url_path="checklist"
        ),
        st.Page(PAGES["library"], title="Library", icon=":material/menu_book:", url_path="library"),
        st.Page(PAGES["accounts"], title="Accounts", icon=":material/group:", url_path="accounts"),
    ]
)
page.run()
