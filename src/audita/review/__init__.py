"""Review: analyst corrections as new versions beside the machine output, speaker labels and
merges, two-person sign-off, and the history of it all (docs/derivations.md, docs/web.md).
A library: no web imports, no printing."""

from audita.review.edits import (
    TransmissionChange,
    edit_transcript,
    label_speaker,
    merge_speakers,
)
from audita.review.errors import ReviewError, SignOffRefused, StaleVersion
from audita.review.history import (
    SignOff,
    SpeakerLabel,
    Version,
    diff_documents,
    history,
    speaker_names,
)
from audita.review.signoff import DECISIONS, sign_off

__all__ = [
    "DECISIONS", "ReviewError", "SignOff", "SignOffRefused", "SpeakerLabel", "StaleVersion", "TransmissionChange",
    "Version", "diff_documents", "edit_transcript", "history", "label_speaker", "merge_speakers", "sign_off",
    "speaker_names",
]
