"""Recognising, probing and decoding audio without ever modifying the original file."""
