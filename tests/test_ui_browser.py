"""End to end in a real browser: Debian's Chromium, driven by Playwright, against `streamlit run ui/app.py`.

Install the browser with ``bash scripts/browser_deps.sh``. The screenshots go to the test's
tmp folder and are copied to /tmp/ui-screenshot-<width>.png (chat), /tmp/ui-sources-screenshot-<width>.png
(the sources panel opened), /tmp/ui-viewer-screenshot-<width>.png and /tmp/ui-documents-screenshot-<width>.png,
at 1280 px and at 390 px (a phone), and /tmp/ui-search-screenshot-390.png.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from baocao.settings import Settings
from tests.servers import free_port, running

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Những chỉ tiêu nào không đạt kế hoạch năm 2023 của Hương Trà?"
MISSED = ["Tốc độ tăng trưởng (GTSX)", "Tổng thu ngân sách NN", "Tỷ lệ trường đạt chuẩn quốc gia"]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
START_TIMEOUT_S = 120
ANSWER_TIMEOUT_MS = 240_000  # the first question loads the embedder and the lexical index


@pytest.fixture(scope="module")
def app_url(sample_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `bash scripts/browser_deps.sh` (apt-get install chromium)")
    data_dir = tmp_path_factory.mktemp("browser-data")
    shutil.copytree(sample_settings.data_dir, data_dir, dirs_exist_ok=True)  # pre-ingested corpus
    port = free_port()
    log = data_dir / "streamlit.log"
    env = {**os.environ, "BAOCAO_DATA_DIR": str(data_dir), "BAOCAO_LLM__PROVIDER": "none"}
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "app.py"), "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
    ]
    with running(command, f"http://127.0.0.1:{port}/_stcore/health", log, env=env, cwd=ROOT, timeout_s=START_TIMEOUT_S):
        yield f"http://127.0.0.1:{port}"


# Records what the buttons of Streamlit's status widget (shown while the page runs) say: their own
# text when drawn at a size above 0, and what our style puts after them.
STATUS_WATCH = """() => { window.bcStatusSeen = [];
  new MutationObserver(() => {
    for (const b of document.querySelectorAll('[data-testid="stStatusWidget"] button')) {
      const s = getComputedStyle(b);
      window.bcStatusSeen.push({text: parseFloat(s.fontSize) > 0 ? b.innerText.trim() : "",
                                after: getComputedStyle(b, "::after").content});
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def in_viewport(page, selector: str) -> bool:
    return bool(
        page.evaluate(
            """(sel) => { const el = document.querySelector(sel); if (!el) return false;
                const r = el.getBoundingClientRect();
                return r.bottom > 0 && r.top < window.innerHeight; }""",
            selector,
        )
    )


def overlaps(a: dict[str, float] | None, b: dict[str, float] | None) -> bool:
    """Whether two bounding boxes share any area."""
    assert a is not None and b is not None
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def on_top_at_center(page, locator) -> bool:
    """Whether the element is what the pointer meets at its center (nothing drawn over it there)."""
    return bool(locator.evaluate(
        """el => { const r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return !!hit && (el === hit || el.contains(hit)); }"""
    ))


def overflow(page, selector: str) -> float:
    """How far the elements matching ``selector`` reach past the right edge of the window (px, 0 when none)."""
    return float(
        page.evaluate(
            """(sel) => Math.max(0, ...[...document.querySelectorAll(sel)].map(
                   el => el.getBoundingClientRect().right - window.innerWidth))""",
            selector,
        )
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_ask_and_open_a_citation_in_chromium(app_url: str, tmp_path: Path, width: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN")
            page = context.new_page()
            page.goto(app_url)
            box = page.get_by_test_id("stChatInputTextArea")
            box.wait_for(timeout=START_TIMEOUT_S * 1000)
            page.evaluate(STATUS_WATCH)
            box.fill(QUESTION)
            box.press("Enter")

            # The answer, with its sources panel collapsed.
            page.wait_for_selector("span.bc-ref", timeout=ANSWER_TIMEOUT_MS)
            page.wait_for_timeout(1500)
            # While it ran, Streamlit's "Stop" said "Dừng"; its English main menu is not offered. (At 390 px
            # the button was not seen during the run, the second one, on a warm app; at 1280 px it must be.)
            seen = page.evaluate("() => window.bcStatusSeen")
            assert seen or width < 640, "the status widget's button was never seen"
            assert all(s["text"] == "" and s["after"] == '"Dừng"' for s in seen), seen
            assert not page.get_by_test_id("stMainMenu").is_visible()
            answer = page.get_by_test_id("stChatMessage").nth(1)
            for target in MISSED:
                expect(answer).to_contain_text(target)
            assert not page.locator("div.bc-source").first.is_visible()  # sources start collapsed
            markers = answer.locator("span.bc-ref")
            assert markers.count() >= 3

            # Nothing reaches past the window's right edge, on a phone too.
            assert overflow(page, "[data-testid='stChatMessage']") <= 1
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")

            # The last [n]'s pop-up opens inside the answer, under its line: it does not cover the sources
            # panel's header below the answer (which stays clickable) and stays inside the window.
            last = markers.nth(markers.count() - 1)
            last.scroll_into_view_if_needed()
            last.click()
            last_pop = last.locator("span.bc-pop")
            expect(last_pop).to_be_visible()
            header = page.get_by_test_id("stExpander").filter(has_text="📚").first.locator("summary")
            header.scroll_into_view_if_needed()
            page.wait_for_timeout(800)  # the chat keeps to its bottom: let that scroll end
            pop_box, header_box = page.evaluate(  # both boxes in one frame
                """() => { const pop = document.querySelector('span.bc-ref:focus > span.bc-pop');
                    const panel = [...document.querySelectorAll('[data-testid="stExpander"]')]
                        .find(e => e.textContent.includes('📚'));
                    return [pop, panel.querySelector('summary')].map(el => el.getBoundingClientRect().toJSON()); }"""
            )
            assert not overlaps(pop_box, header_box), (pop_box, header_box)
            assert on_top_at_center(page, header)
            assert pop_box is not None and pop_box["x"] >= 0 and pop_box["x"] + pop_box["width"] <= width + 1, pop_box
            assert overflow(page, "span.bc-ref:focus > span.bc-pop") <= 1
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
            message_box = answer.bounding_box()
            assert message_box is not None and pop_box["y"] + pop_box["height"] <= message_box["y"] + message_box["height"]
            last.scroll_into_view_if_needed()
            shot = tmp_path / f"ui-pop-screenshot-{width}.png"
            page.screenshot(path=str(shot))
            shutil.copyfile(shot, f"/tmp/ui-pop-screenshot-{width}.png")
            page.mouse.move(0, 0)
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
            expect(last_pop).to_be_hidden()

            # Tapping a [n] shows its cited row inline, inside the window.
            marker = next(markers.nth(i) for i in range(markers.count()) if MISSED[2] in (markers.nth(i).text_content() or ""))
            marker.scroll_into_view_if_needed()
            marker.click()
            pop = marker.locator("span.bc-pop")
            expect(pop).to_be_visible()
            expect(pop).to_contain_text("Không đạt")
            assert overflow(page, "span.bc-ref:focus > span.bc-pop") <= 1

            shot = tmp_path / f"ui-screenshot-{width}.png"
            page.screenshot(path=str(shot))
            shutil.copyfile(shot, f"/tmp/ui-screenshot-{width}.png")

            # "Open the document" from the pop-up: a new tab, the cited row marked and scrolled into view.
            with context.expect_page() as opened:
                pop.locator("a[target='_blank']").click()
            viewer = opened.value
            viewer.wait_for_selector("div.bc-document", timeout=ANSWER_TIMEOUT_MS)
            viewer.wait_for_function(
                """() => { const el = document.getElementById('passage'); if (!el) return false;
                    const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }""",
                timeout=30_000,
            )
            assert "doc=001_4f6835b70005be68.txt" in viewer.url and "cite=" in viewer.url
            assert overflow(viewer, "div.bc-doctable") <= 1  # wide tables scroll inside the page
            marked = viewer.locator("div.bc-document mark.bc-cite")
            assert 1 <= marked.count() <= 8  # the cited row's cells, not the whole table
            assert MISSED[2] in " ".join(marked.all_inner_texts())
            viewer_shot = tmp_path / f"ui-viewer-screenshot-{width}.png"
            viewer.screenshot(path=str(viewer_shot))
            shutil.copyfile(viewer_shot, f"/tmp/ui-viewer-screenshot-{width}.png")

            # The sources panel opened: its 20-row table scrolls inside its card, not the page.
            viewer.close()
            page.bring_to_front()
            page.mouse.move(0, 0)  # the pop-up of the tapped [n] closes once the pointer and the focus leave it
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
            expect(pop).to_be_hidden()
            panel = page.get_by_test_id("stExpander").filter(has_text="📚").first
            panel.locator("summary").click()
            table_box = panel.locator("div.bc-tablebox").first
            expect(table_box).to_be_visible()
            assert overflow(page, "div.bc-source, div.bc-tablebox") <= 1
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
            box = table_box.bounding_box()
            assert box is not None and box["height"] <= 900, box  # a long table scrolls in its box
            assert table_box.evaluate("el => el.scrollHeight > el.clientHeight")
            sources_shot = tmp_path / f"ui-sources-screenshot-{width}.png"
            page.screenshot(path=str(sources_shot))
            shutil.copyfile(sources_shot, f"/tmp/ui-sources-screenshot-{width}.png")
        finally:
            browser.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_documents_page_in_chromium(app_url: str, tmp_path: Path, width: int) -> None:
    """The documents table fits the window (its columns scroll inside it) and the file uploader
    speaks Vietnamese instead of Streamlit's English (its "Upload" button, "200MB per file")."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN").new_page()
            page.goto(f"{app_url}/?page=documents")
            table = page.get_by_test_id("stDataFrame").first
            table.wait_for(timeout=ANSWER_TIMEOUT_MS)
            page.wait_for_timeout(1000)
            assert overflow(page, "[data-testid='stDataFrame']") <= 1  # not cut off on the right
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
            box = table.bounding_box()
            assert box is not None and box["x"] >= 0 and box["width"] > 0.5 * min(width, 736), box

            # No toolbar over the table (its tooltips are Streamlit's English: "Download as CSV", "Search",
            # "Fullscreen"), even with the pointer on the table.
            table.hover()
            page.wait_for_timeout(500)
            shown_tools = page.evaluate(
                """() => [...document.querySelectorAll('[data-testid="stElementToolbar"] button')]
                      .filter(b => b.getClientRects().length).map(b => b.getAttribute('aria-label'))"""
            )
            assert shown_tools == [], shown_tools

            if width >= 1280:
                # The file column shows a typical file name whole: its right edge (where the header offers to
                # resize it) lies past the name's width in the table's font and the cell's padding.
                canvas = table.get_by_test_id("data-grid-canvas")
                grid = canvas.bounding_box()
                assert grid is not None
                edge = None
                for x in range(4, 500, 2):
                    page.mouse.move(grid["x"] + x, grid["y"] + 15)
                    if canvas.evaluate("el => el.style.cursor") == "col-resize":
                        edge = x
                        break
                name = "001_4f6835b70005be68.txt"
                needed = table.evaluate(
                    """(el, name) => { const s = getComputedStyle(el.querySelector('[style*="--gdg-font-family"]') || el);
                        const family = s.getPropertyValue('--gdg-font-family') || 'sans-serif';
                        const base = s.getPropertyValue('--gdg-base-font-style') || '400 14px';
                        const pad = parseFloat(s.getPropertyValue('--gdg-cell-horizontal-padding')) || 8;
                        const c = document.createElement('canvas').getContext('2d');
                        c.font = `${base} ${family}`;
                        return c.measureText(name).width + 2 * pad; }""",
                    name,
                )
                assert edge is not None and edge >= needed, (edge, needed)

            dropzone = page.get_by_test_id("stFileUploaderDropzone")
            dropzone.scroll_into_view_if_needed()
            # The text a user sees there: text drawn at a size above 0 (icons aside), and the labels put in its place.
            shown = dropzone.evaluate(
                """el => { const out = [];
                    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
                    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                      const p = n.parentElement, s = getComputedStyle(p);
                      if (!n.textContent.trim() || p.closest('[data-testid="stIconMaterial"]')) continue;
                      if (s.display !== 'none' && s.visibility === 'visible' && parseFloat(s.fontSize) > 0
                          && p.getClientRects().length) out.push(n.textContent.trim());
                    }
                    for (const e of el.querySelectorAll('*')) {
                      const c = getComputedStyle(e, '::after').content;
                      if (c && c !== 'none' && c !== 'normal' && e.getClientRects().length) out.push(c.replace(/^"|"$/g, ''));
                    }
                    return out; }"""
            )
            assert "Kéo thả tệp vào đây" in shown and "Chọn tệp" in shown, shown
            assert not [text for text in shown if re.search(r"[A-Za-z]{3,}", text)], shown  # no "Upload", "200MB per file"
            instructions = dropzone.get_by_test_id("stFileUploaderDropzoneInstructions")
            assert instructions.evaluate("el => el.scrollWidth <= el.clientWidth + 1")  # the label is not cut off
            shot = tmp_path / f"ui-documents-screenshot-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            shutil.copyfile(shot, f"/tmp/ui-documents-screenshot-{width}.png")
        finally:
            browser.close()


def test_search_pages_back_to_the_top_in_chromium(app_url: str, tmp_path: Path) -> None:
    """On a phone: "Sau ▶" at the foot of the results shows the next page from its top, the
    results fit the window, and the marks are the search phrase (never a lone syllable of it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 390, "height": 900}, locale="vi-VN").new_page()
            page.goto(f"{app_url}/?page=search")
            box = page.get_by_label("Từ khoá hoặc câu hỏi")
            box.wait_for(timeout=START_TIMEOUT_S * 1000)
            box.fill("ngân sách")
            box.press("Enter")
            page.wait_for_selector("div.bc-source", timeout=ANSWER_TIMEOUT_MS)
            page.wait_for_timeout(1000)
            marks = {m.strip().lower() for m in page.locator("mark.bc-term").all_inner_texts()}
            assert marks == {"ngân sách"}, marks
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
            first = page.locator("div.bc-source").first.inner_text()

            following = page.get_by_role("button", name="Sau ▶")
            following.scroll_into_view_if_needed()
            assert not in_viewport(page, "#bc-results-top")  # at the foot of the page
            following.click()
            page.wait_for_function(
                "(before) => { const c = document.querySelector('div.bc-source'); return c && c.innerText !== before; }",
                arg=first, timeout=60_000,
            )
            page.wait_for_function(
                """() => { const el = document.getElementById('bc-results-top'); if (!el) return false;
                    const r = el.getBoundingClientRect(); return r.bottom >= 0 && r.top < window.innerHeight; }""",
                timeout=30_000,
            )
            shot = tmp_path / "ui-search-screenshot-390.png"
            page.screenshot(path=str(shot))
            shutil.copyfile(shot, "/tmp/ui-search-screenshot-390.png")
        finally:
            browser.close()


def test_targets_page_in_chromium(app_url: str, tmp_path: Path) -> None:
    """The "Chỉ tiêu" page at 1280 px: the records grid, result-against-plan bars, CSV and Excel
    export, the comparison of one indicator across places, and a record's link opening its row
    highlighted in the document viewer."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
            page = context.new_page()
            page.goto(f"{app_url}/?page=targets")
            page.get_by_text("🎯 Chỉ tiêu").first.wait_for(timeout=START_TIMEOUT_S * 1000)
            page.get_by_test_id("stDataFrame").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
            expect(page.get_by_text("chỉ tiêu từ", exact=False).first).to_be_visible()
            for label in ("Tải CSV", "Tải Excel"):
                expect(page.get_by_test_id("stDownloadButton").filter(has_text=label)).to_have_count(1)
            expect(page.get_by_text("So sánh một chỉ tiêu giữa các địa phương, các năm")).to_be_visible()
            charts = "[data-testid='stVegaLiteChart'], [data-testid='stArrowVegaLiteChart']"
            # plan-vs-result bars and the comparison (drawn one after the other: wait for both)
            page.wait_for_function("(sel) => document.querySelectorAll(sel).length >= 2", arg=charts, timeout=30_000)
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")

            # A record's source link: its row marked in the whole document.
            expander = page.get_by_test_id("stExpander").filter(has_text="Tốc độ tăng trưởng").first
            expander.scroll_into_view_if_needed()
            expander.locator("summary").click()
            link = expander.get_by_role("link", name="mở đoạn nguồn")
            expect(link).to_be_visible()
            href = link.get_attribute("href") or ""
            assert "doc=001_4f6835b70005be68.txt" in href and "cite=" in href, href
            shot = tmp_path / "ui-targets-screenshot-1280.png"
            page.screenshot(path=str(shot), full_page=True)
            shutil.copyfile(shot, "/tmp/ui-targets-screenshot-1280.png")
            viewer = context.new_page()
            viewer.goto(href if href.startswith("http") else f"{app_url}/{href.lstrip('/')}")
            viewer.wait_for_selector("div.bc-document", timeout=ANSWER_TIMEOUT_MS)
            marked = viewer.locator("div.bc-document mark.bc-cite")
            marked.first.wait_for(timeout=30_000)
            assert "Tốc độ tăng trưởng" in " ".join(marked.all_inner_texts())
        finally:
            browser.close()
