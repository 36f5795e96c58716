"""Search, documents, incidents, near-duplicate audio and published-transcript comparison.

Modules: ``api`` (the search entry point the web UI calls), ``index`` (the rebuildable SQLite FTS5
index under ``<home>/index/search.db``), ``query`` and ``snippets`` (lemmatised queries, highlighted
time-coded snippets), ``duplicates`` with ``fingerprint`` and ``spectral`` (republications and
excerpts), ``incidents`` (grouping intercepts and reports about one event), ``compare`` (a
published transcript against the recording's transcript), ``bench`` (benchmark sections) and
``cli``. Design and measurements: docs/search.md.
"""
