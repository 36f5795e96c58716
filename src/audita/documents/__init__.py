"""Open-source documents (news articles, published transcripts, Telegram posts) as evidence items.

``extract`` turns stored bytes (plain text, HTML, PDF, Telegram exports) into paragraphs with
character offsets; ``claims`` finds dates, quoted speech, casualty claims, places, people and
indicators in that text; ``service`` records both as derivations of a stored document item.
Storing the document itself (hash, write-once blob, custody) is ``audita.ingest.documents``.
"""

from audita.documents.extract import DocumentText, Paragraph, parse_document

__all__ = ["DocumentText", "Paragraph", "parse_document"]
