"""Persistence: the relational store (SQLite by default) and the write-once blob store."""
