"""Rule-based analysis of transcripts: IHL indicator flags, places and other entities.

Everything here is an *indicator* for an analyst to review, never a finding.
"""
