"""Kehu core: storage, ingestion, metrics and the follow-up plan — everything below the UI.

Nothing in this package imports streamlit, so every rule can be tested on its own.
"""

__version__ = "0.1.0"
