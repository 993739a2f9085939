"""The dashboard's pages, in menu order. st.Page objects are built on demand because switching to a page
(st.switch_page, st.page_link) needs the page object, and a page file cannot import the entry point.

The landing page depends on the data: the overview while there is nothing to triage, the Patterns queue
once a run has patterns. The entry point decides it on every script run (`set_landing`) and every page
object built during that run agrees on it, so a link to the landing page points at "/".
"""

from __future__ import annotations

import streamlit as st

# key -> (file under pages/, title, icon). Paths are relative to app/main.py, the script Streamlit runs.
PAGES: dict[str, tuple[str, str, str]] = {
    "overview": ("overview.py", "Overview", ":material/dashboard:"),
    "patterns": ("patterns.py", "Patterns", ":material/checklist:"),
    "pattern": ("pattern.py", "Pattern", ":material/label:"),
    "trends": ("trends.py", "Trends", ":material/trending_up:"),
    "compare": ("compare.py", "Compare", ":material/compare_arrows:"),
    "upload": ("upload.py", "Upload", ":material/upload:"),
    "clusters": ("clusters.py", "Clusters", ":material/bubble_chart:"),
    "detail": ("cluster_detail.py", "Cluster detail", ":material/search:"),
    "runs": ("runs.py", "Runs", ":material/history:"),
    "export": ("export.py", "Export", ":material/download:"),
}
DEFAULT = "overview"  # the landing page before any run has patterns
TRIAGE = "patterns"  # the landing page once one has
LANDING_KEY = "nav_landing"


def set_landing(has_patterns: bool) -> None:
    st.session_state[LANDING_KEY] = TRIAGE if has_patterns else DEFAULT


def page(key: str) -> st.Page:
    filename, title, icon = PAGES[key]
    landing = st.session_state.get(LANDING_KEY, DEFAULT)
    return st.Page(f"../pages/{filename}", title=title, icon=icon, default=key == landing)


def all_pages() -> list[st.Page]:
    return [page(key) for key in PAGES]
