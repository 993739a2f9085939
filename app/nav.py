"""The dashboard's pages, in menu order. st.Page objects are built on demand because switching to a page
(st.switch_page, st.page_link) needs the page object, and a page file cannot import the entry point.
"""

from __future__ import annotations

import streamlit as st

# key -> (file under pages/, title, icon). Paths are relative to app/main.py, the script Streamlit runs.
PAGES: dict[str, tuple[str, str, str]] = {
    "overview": ("overview.py", "Overview", ":material/dashboard:"),
    "upload": ("upload.py", "Upload", ":material/upload:"),
    "clusters": ("clusters.py", "Clusters", ":material/bubble_chart:"),
    "detail": ("cluster_detail.py", "Cluster detail", ":material/search:"),
    "runs": ("runs.py", "Runs", ":material/history:"),
    "export": ("export.py", "Export", ":material/download:"),
}
DEFAULT = "overview"


def page(key: str) -> st.Page:
    filename, title, icon = PAGES[key]
    return st.Page(f"../pages/{filename}", title=title, icon=icon, default=key == DEFAULT)


def all_pages() -> list[st.Page]:
    return [page(key) for key in PAGES]
