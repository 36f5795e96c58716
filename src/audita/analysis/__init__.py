"""Analysis of transcripts and texts: places (geocoded offline), units, call signs, times, counts,
people and organisations, military slang glossary hits, and IHL indicator flags with their Rome
Statute Art. 8 reference. Flags are suggestions for an analyst, never findings.

Entry points: ``pipeline.analyze_transcript`` / ``pipeline.analyze_text`` (pure),
``service.analyze_item`` (stored), ``review.decide_flag``, ``glossary.load_glossary``.
"""
