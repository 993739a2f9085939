"""The Streamlit dashboard's helpers: context (cached engine and embedder), loaders, charts, actions, UI."""
