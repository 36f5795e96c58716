"""Audita: an evidence workbench for intercepted communications."""

__version__ = "0.1.0"
