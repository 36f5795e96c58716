"""Ingest: bring files, folders and zip archives into a case as write-once originals."""
