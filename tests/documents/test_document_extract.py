"""Parsing documents: text, HTML, Telegram exports, PDF; malformed input refused with a reason."""

from __future__ import annotations

import io
import json

import pytest

from audita.documents.extract import PARAGRAPH_SEPARATOR, decode_text, iso_utc, parse_document
from audita.errors import BadInput
from audita.media.sniff import sniff_bytes


def test_plain_text_paragraphs_and_offsets():
    document = parse_document("Первый абзац,\nвторая строка.\n\n  Второй   абзац.  \n\n\nТретий.".encode())
    assert document.format == "text" and document.encoding == "utf-8"
    assert [p.text for p in document.paragraphs] == ["Первый абзац,\nвторая строка.", "Второй абзац.", "Третий."]
    for paragraph in document.paragraphs:
        assert document.text[paragraph.char_start:paragraph.char_end] == paragraph.text
    assert document.text.count(PARAGRAPH_SEPARATOR) == 2


def test_transcript_without_blank_lines_is_one_paragraph_per_line():
    document = parse_document("Сокол: Гранит, приём.\nГранит: Слышу.\n".encode())
    assert [p.text for p in document.paragraphs] == ["Сокол: Гранит, приём.", "Гранит: Слышу."]


def test_encodings():
    assert parse_document("\ufeffС BOM".encode("utf-8")).encoding == "utf-8-sig"
    assert parse_document("Привет из UTF-16".encode("utf-16")).paragraphs[0].text == "Привет из UTF-16"
    legacy = parse_document("Пленных не брать, всех в расход.".encode("cp1251"))
    assert legacy.encoding == "cp1251" and legacy.paragraphs[0].text.startswith("Пленных")
    with pytest.raises(BadInput, match="not UTF-8"):
        decode_text(b"plain ascii then \xff\xfe\xfd latin junk")


def test_html_article():
    page = """\ufeff<!DOCTYPE html><html><head><title>Заголовок страницы</title>
    <meta property="og:site_name" content="Вестник"><meta property="og:title" content="Перехват под Попасной">
    <meta property="article:published_time" content="2022-05-03T10:00:00+03:00">
    <link rel="canonical" href="https://example.org/a"><style>p {color: red}</style></head>
    <body><nav><a href="/">Главная</a> <a href="/x">Разное</a></nav><header><h1>Перехват под Попасной</h1></header>
    <article><p>Первый <b>абзац</b> статьи.</p><div hidden>скрытый текст</div>
    <p>Строка<br>с переносом.</p><script>var x = "не текст";</script></article>
    <footer>© Вестник</footer></body></html>"""
    document = parse_document(page.encode("utf-8"))
    assert document.format == "html"
    assert document.title == "Перехват под Попасной" and document.publisher == "Вестник"
    assert document.published == "2022-05-03T07:00:00Z" and document.canonical_url == "https://example.org/a"
    assert [p.text for p in document.paragraphs] == ["Перехват под Попасной", "Первый абзац статьи.",
                                                     "Строка\nс переносом."]


def test_telegram_html_export():
    page = """<!DOCTYPE html><html><head><title>Exported Data</title></head><body>
    <div class="page_header"><div class="content"><div class="text bold">Канал новостей</div></div></div>
    <div class="history">
      <div class="message service" id="message-1"><div class="body details">27 February 2022</div></div>
      <div class="message default clearfix" id="message2"><div class="body">
        <div class="pull_right date details" title="27.02.2022 06:15:32 UTC+03:00">06:15</div>
        <div class="from_name">Канал новостей</div><div class="text">Первое сообщение<br>вторая строка</div></div></div>
      <div class="message default clearfix joined" id="message3"><div class="body">
        <div class="pull_right date details" title="27.02.2022 07:00:00 UTC+03:00">07:00</div>
        <div class="text">Второе сообщение</div></div></div>
    </div></body></html>"""
    document = parse_document(page.encode())
    assert document.format == "telegram-html" and document.title == "Канал новостей"
    assert [(p.text, p.time, p.author) for p in document.paragraphs] == [
        ("Первое сообщение\nвторая строка", "2022-02-27T03:15:32Z", "Канал новостей"),
        ("Второе сообщение", "2022-02-27T04:00:00Z", "Канал новостей"),
    ]


def test_telegram_json_export():
    export = {"name": "Канал", "type": "public_channel", "messages": [
        {"id": 1, "type": "service", "date": "2022-02-27T06:00:00", "text": ""},
        {"id": 2, "type": "message", "date": "2022-02-27T06:15:32", "date_unixtime": "1645931732", "from": "Канал",
         "text": ["Обстрел ", {"type": "bold", "text": "Попасной"}, " продолжается"]},
    ]}
    document = parse_document(json.dumps(export, ensure_ascii=False).encode())
    assert document.format == "telegram-json"
    assert [(p.text, p.time, p.author) for p in document.paragraphs] == [
        ("Обстрел Попасной продолжается", "2022-02-27T03:15:32Z", "Канал")]
    with pytest.raises(BadInput, match="not a Telegram export"):
        parse_document(b'{"some": "json"}')


def _pdf(lines: list[str], *, password: str | None = None, title: str = "Отчёт") -> bytes:
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from audita.errors import AuditaError
    from audita.export.fonts import report_fonts

    try:
        fonts = report_fonts()
    except AuditaError:
        pytest.skip("no Cyrillic TrueType font installed")
    pdfmetrics.registerFont(TTFont("TestSans", str(fonts.regular)))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)
    page.setTitle(title)
    page.setFont("TestSans", 11)
    y = 800
    for line in lines:
        if line:
            page.drawString(60, y, line)
        y -= 16
    page.showPage()
    page.save()
    data = buffer.getvalue()
    if password is None:
        return data
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for sheet in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(sheet)
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_text_pages_and_title():
    data = _pdf(["Первый абзац отчёта о событиях в Попасной, который занимает",
                 "две строки текста.", "", "Второй абзац: «Пленных не брать»."])
    document = parse_document(data)
    assert document.format == "pdf" and document.pages == 1 and document.title == "Отчёт"
    texts = [p.text for p in document.paragraphs]
    assert any("Попасной" in t for t in texts) and any("Пленных не брать" in t for t in texts)
    assert all(p.page == 1 for p in document.paragraphs)


def test_malformed_and_encrypted_pdf_are_refused():
    with pytest.raises(BadInput, match="malformed PDF"):
        parse_document(b"%PDF-1.4\n1 0 obj garbage without structure\n")
    with pytest.raises(BadInput, match="encrypted"):
        parse_document(_pdf(["Секрет"], password="s3cret"))


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
    (b"ID3" + bytes(200), "MPEG audio"),
    (b"<html><body><script>only()</script></body></html>", "no text"),
    (b"\x00\x01\x02binary\x00data" * 20, "binary"),
    ("   \n\n  ".encode(), "no text"),
])
def test_not_documents(data, reason):
    with pytest.raises(BadInput, match=reason):
        parse_document(data)


def test_sniff_sees_html_behind_a_byte_order_mark():
    assert sniff_bytes(b"\xef\xbb\xbf<!DOCTYPE html><html>").format == "html"
    assert sniff_bytes(b"  <meta charset=utf-8><title>x</title>").format == "html"
    assert sniff_bytes("\ufeffпросто текст".encode()).kind == "text"


def test_iso_utc():
    assert iso_utc("2022-05-03T10:00:00+03:00") == "2022-05-03T07:00:00Z"
    assert iso_utc("2022-05-03") == "2022-05-03"
    assert iso_utc("D:20220503100000+03'00'") == "2022-05-03T07:00:00Z"
    assert iso_utc("вчера") is None and iso_utc("1776-07-04") is None
