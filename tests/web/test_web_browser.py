"""The core flows in a real headless Chromium (Debian's, driven by Playwright) against a live
server: login, case, recording, seek by clicking a word, correction, second-person sign-off,
non-member 404, drag-and-drop upload with processing progress, and the real analysis's output on
the recording (flag and gloss on the words), search and following a hit to the recording's moment
and to a document's paragraph. Screenshots are kept under test-artifacts/screenshots/."""

from __future__ import annotations

import base64
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@dataclass
class Live:
    url: str
    seed: object
    workspace: object
    app: object
    document_id: str


HISTORY_URL = re.compile(r".*/items/[0-9a-f]{32}/history#v-[0-9a-f]{32}$")


def wait_js(page, expression: str, timeout: float = 8.0) -> None:  # type: ignore[no-untyped-def]
    """Poll a JS expression from Python: Playwright's wait_for_function evaluates strings in the
    page, which the CSP (no unsafe-eval) rightly refuses."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {expression}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    import uvicorn
    from webseed import FakeProcessor, seed

    from audita.config import Settings
    from audita.web.app import create_app
    from audita.web.jobs import JobRunner
    from audita.workspace import Workspace

    from audita.ingest.documents import document_metadata, ingest_document

    home = tmp_path_factory.mktemp("browser")
    workspace = Workspace.open(Settings(home=home / "home"))
    seeded = seed(workspace, home / "incoming")
    report = home / "report.txt"
    report.write_text("Колонна вышла к мосту утром.\n\nПо рации приказали: пленных не брать, всех в расход.\n",
                      encoding="utf-8")
    document = ingest_document(workspace, "Popasna 2022", report, actor="setup:test", metadata=document_metadata(
        "https://example.org/report", "2022-04-13T09:00:00+03:00", title="Report"))
    jobs = JobRunner()
    app = create_app(workspace, processor=FakeProcessor(), jobs=jobs)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield Live(f"http://127.0.0.1:{port}", seeded, workspace, app, document.item_id)
    server.should_exit = True
    thread.join(10)
    jobs.shutdown()
    workspace.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--mute-audio"])
        yield chromium
        chromium.close()


class Page:
    """A browser context for one user, collecting console errors (CSP violations show there)."""

    def __init__(self, browser, live: Live) -> None:  # type: ignore[no-untyped-def]
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}")
                     if r.status >= 400 and not self.expect_errors else None)
        self.expect_errors = False
        self.live = live

    def login(self, username: str) -> None:
        from webseed import PASSWORD

        self.page.goto(self.live.url + "/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("#login")
        self.page.wait_for_url("**/cases")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def page_for(browser, live):  # type: ignore[no-untyped-def]
    made: list[Page] = []

    def make(username: str | None = None) -> Page:
        page = Page(browser, live)
        made.append(page)
        if username:
            page.login(username)
        return page

    yield make
    for page in made:
        page.close()


def test_login_case_recording_and_seek_by_word(page_for, live):
    user = page_for(None)
    user.page.goto(live.url + "/cases")
    assert "/login?next=/cases" in user.page.url  # not logged in yet
    user.shot("01-login")
    user.login("analyst-in")
    cookie = next(c for c in user.context.cookies() if c["name"] == "__Host-audita")
    # Chromium treats http://127.0.0.1 as a secure context, so the Secure __Host- cookie is kept
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert "domain" not in cookie or cookie["domain"] == "127.0.0.1"
    user.shot("02-cases")
    user.page.click("text=Popasna 2022")
    user.page.wait_for_selector("svg.map")
    assert user.page.locator("svg.map .point.place text", has_text="Popasna").count() == 1
    user.shot("03-case-overview")
    user.page.click("a.recording-link")
    user.page.wait_for_selector("#player[data-peaks-loaded='1200']")
    wait_js(user.page, "document.getElementById('audio').readyState >= 1")
    user.shot("04-recording")
    word = user.page.locator(".transcript .w", has_text="Петренко")
    word.click()
    at = user.page.evaluate("document.getElementById('audio').currentTime")
    assert at == pytest.approx(4.5, abs=0.05)
    assert "playing" in (word.get_attribute("class") or "")
    wait_js(user.page, "document.getElementById('audio').currentTime > 4.8")  # it plays on from there
    user.page.evaluate("document.getElementById('audio').pause()")
    flagged = user.page.locator(".transcript .w.flag", has_text="Пленных")
    flagged.click()
    assert user.page.evaluate("document.getElementById('audio').currentTime") == pytest.approx(2.3, abs=0.35)
    assert "killing_hors_de_combat" in (flagged.get_attribute("title") or "")
    user.page.evaluate("document.getElementById('audio').pause()")
    user.shot("05-recording-seeked")
    user.page.goto(f"{live.url}/items/{live.seed.item_id}#t=5.05")  # how search hits link to a moment
    wait_js(user.page, "Math.abs(document.getElementById('audio').currentTime - 5.05) < 0.05")
    assert "везёт" in user.page.inner_text(".w.playing")
    assert not user.errors, user.errors


def test_correction_then_second_person_signs_off(page_for, live):
    analyst = page_for("analyst-in")
    analyst.page.goto(f"{live.url}/items/{live.seed.item_id}")
    analyst.page.click("#edit-link")
    analyst.page.fill("#text_2", "Петренко везёт их в Попасную, к мосту.")
    analyst.page.fill("#note", "second half was audible")
    analyst.shot("06-edit-form")
    analyst.page.click("#save")
    analyst.page.wait_for_url(HISTORY_URL)
    first = analyst.page.locator("section.version").first
    assert "user:analyst-in" in first.inner_text() and "second half was audible" in first.inner_text()
    assert "к мосту" in first.locator("td.after").inner_text()
    assert first.locator("form.signoff-form").count() == 0  # nobody signs off their own version
    analyst.shot("07-history-after-edit")
    analyst.page.goto(f"{live.url}/items/{live.seed.item_id}")
    assert analyst.page.locator(".transcript .w", has_text="мосту").count() == 1

    reviewer = page_for("reviewer-in")
    reviewer.page.goto(f"{live.url}/items/{live.seed.item_id}/history")
    newest = reviewer.page.locator("section.version").first
    newest.locator("input[name=note]").fill("checked against the audio")
    newest.locator("button[value=approved]").click()
    reviewer.page.wait_for_url(HISTORY_URL)
    signed = reviewer.page.locator("section.version").first.locator("ul.signoffs").inner_text()
    assert "approved by user:reviewer-in" in signed and "checked against the audio" in signed
    reviewer.shot("08-signed-off")
    reviewer.page.goto(f"{live.url}/items/{live.seed.item_id}")
    assert reviewer.page.inner_text("#review-status") == "approved"
    assert not analyst.errors and not reviewer.errors, analyst.errors + reviewer.errors


def test_non_member_gets_404(page_for, live):
    outsider = page_for("analyst-out")
    outsider.expect_errors = True
    response = outsider.page.goto(f"{live.url}/items/{live.seed.item_id}")
    assert response.status == 404
    assert outsider.page.inner_text("#error-message") == "Not found."
    assert "Popasna" not in outsider.page.content()
    response = outsider.page.goto(f"{live.url}/cases/{live.seed.case_id}")
    assert response.status == 404
    outsider.shot("09-non-member-404")


def test_drag_and_drop_upload_with_progress(page_for, live, tmp_path):
    from webseed import recording

    data = recording(tmp_path / "dropped.wav").read_bytes() + b"\3\3"
    analyst = page_for("analyst-in")
    analyst.page.goto(f"{live.url}/cases/{live.seed.case_id}/upload")
    analyst.page.evaluate("""([name, b64]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: "audio/wav"}));
        const zone = document.getElementById("dropzone");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", ["перехват-0413.wav", base64.b64encode(data).decode()])
    row = analyst.page.locator("#uploads li[data-upload='перехват-0413.wav']")
    row.wait_for()
    analyst.page.wait_for_selector("#uploads li[data-state='uploaded']")
    assert "ingested" in row.inner_text()
    analyst.page.wait_for_selector("#uploads [data-job][data-state='done']", timeout=20000)
    assert analyst.page.evaluate("document.querySelector('#uploads [data-job] progress').value") == 1
    analyst.shot("10-upload-processed")
    analyst.page.click("#uploads [data-job] a")
    analyst.page.wait_for_selector(".transcript .w")
    assert analyst.page.locator("#item-name").inner_text() == "перехват-0413.wav"
    assert not analyst.errors, analyst.errors


def test_real_analysis_on_the_words_then_search_and_follow_hits(page_for, live):
    """The seeded recording's analysis is audita.analysis's own: its flag and glosses are on the
    words; a search by another inflection finds the recording and the document, and each hit opens
    at its span (the recording at the word's time, the document at the paragraph)."""
    viewer = page_for("viewer-in")
    viewer.page.goto(f"{live.url}/items/{live.seed.item_id}")
    viewer.page.wait_for_selector("#player[data-peaks-loaded='1200']")
    wait_js(viewer.page, "document.getElementById('audio').readyState >= 1")
    flagged = viewer.page.locator(".transcript .w.flag")
    assert flagged.all_inner_texts() == ["Пленных", "не", "брать,", "всех", "в", "расход."]
    assert viewer.page.locator("#flags .flag-card .flag-category").first.inner_text() == "killing hors de combat"
    glossed = viewer.page.locator(".transcript .w.gloss", has_text="расход")
    assert "Glossary: в расход" in (glossed.get_attribute("title") or "")
    note = viewer.page.locator(".transcript .gloss-note", has_text="to execute")
    assert note.count() == 1 and note.is_visible()
    # the highlight is visible: the flagged word is painted differently from a plain one
    flag_bg = viewer.page.evaluate("getComputedStyle(document.querySelector('.transcript .w.flag')).backgroundColor")
    plain_bg = viewer.page.evaluate("getComputedStyle(document.querySelector('.transcript .w:not(.flag)')).backgroundColor")
    assert flag_bg != plain_bg
    glossed.click()  # click a word: the audio seeks to it
    at = viewer.page.evaluate("document.getElementById('audio').currentTime")
    assert at == pytest.approx(3.72, abs=0.05)
    viewer.page.evaluate("document.getElementById('audio').pause()")
    viewer.shot("11-real-analysis-on-words")

    viewer.page.goto(f"{live.url}/search")
    viewer.page.fill("#q", "пленный")
    viewer.page.click("#search-go")
    viewer.page.wait_for_selector(".hit")
    hits = viewer.page.locator(".hit")
    assert hits.count() >= 2 and viewer.page.locator(".hit mark", has_text="Пленных").count() >= 1
    viewer.shot("12-search-results")
    recording_hit = viewer.page.locator(f".hit[data-item='{live.seed.item_id}'] a.hit-link").first
    assert re.fullmatch(rf"/items/{live.seed.item_id}#t=2\.30", recording_hit.get_attribute("href") or "")
    recording_hit.click()
    viewer.page.wait_for_selector("#player")
    wait_js(viewer.page, "Math.abs(document.getElementById('audio').currentTime - 2.3) < 0.05")
    assert viewer.page.inner_text(".w.playing") == "Пленных"
    viewer.shot("13-search-hit-recording")

    viewer.page.go_back()
    document_hit = viewer.page.locator(f".hit[data-item='{live.document_id}'] a.hit-link").first
    assert document_hit.get_attribute("href") == f"/items/{live.document_id}#p=1"
    document_hit.click()
    viewer.page.wait_for_selector("#document-text")
    target = viewer.page.locator(":target")
    assert target.get_attribute("id") == "p=1" and "пленных не брать" in target.inner_text()
    assert viewer.page.locator("#document-text .flag").count() >= 1
    viewer.shot("14-search-hit-document")
    assert not viewer.errors, viewer.errors
