"""Speech stage: transmissions, transcription, translation and speakers, without the database.

Modules: ``models`` (model registry), ``segment`` (push-to-talk transmissions, phone turns,
channel, SNR, quality gate), ``asr`` (faster-whisper with hallucination guards), ``translate``
(unverified English), ``speakers`` (embeddings, clustering, suggestions), ``pipeline``
(``run_speech`` and per-stage functions), ``formats`` (JSON, SRT, VTT, text).
"""
