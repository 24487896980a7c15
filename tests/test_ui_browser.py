"""End to end in a real browser: Debian's Chromium, driven by Playwright, against `streamlit run ui/app.py`.

Install the browser with ``bash scripts/browser_deps.sh``. The screenshots go to the test's
tmp folder and are copied to /tmp/ui-screenshot.png (chat) and /tmp/ui-viewer-screenshot.png.
"""
from __future__ import annotations

import os
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


def in_viewport(page, selector: str) -> bool:
    return bool(
        page.evaluate(
            """(sel) => { const el = document.querySelector(sel); if (!el) return false;
                const r = el.getBoundingClientRect();
                return r.bottom > 0 && r.top < window.innerHeight; }""",
            selector,
        )
    )


def test_ask_and_open_a_citation_in_chromium(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
            page = context.new_page()
            page.goto(app_url)
            box = page.get_by_test_id("stChatInputTextArea")
            box.wait_for(timeout=START_TIMEOUT_S * 1000)
            box.fill(QUESTION)
            box.press("Enter")

            # The answer, with its sources panel.
            page.wait_for_selector("div.bc-source", timeout=ANSWER_TIMEOUT_MS)
            answer = page.get_by_test_id("stChatMessage").nth(1)
            for target in MISSED:
                expect(answer).to_contain_text(target)
            links = answer.locator("a[href^='#src-']")
            assert links.count() >= 3
            assert "Không đạt" in (links.first.get_attribute("title") or "")  # the quote as tooltip

            # Open a citation: the page scrolls to the cited row, which is marked.
            page.mouse.wheel(0, -5000)
            link = links.nth(2)
            anchor = (link.get_attribute("href") or "").lstrip("#")
            link.click()
            page.wait_for_function("(id) => location.hash === '#' + id", arg=anchor)
            page.wait_for_timeout(800)
            assert in_viewport(page, f"[id='{anchor}']")
            cited = page.locator(f"tr:has([id='{anchor}']) mark.bc-cite")
            assert cited.count() >= 3
            assert "Tỷ lệ trường đạt chuẩn quốc gia" in cited.first.inner_text()

            shot = tmp_path / "ui-screenshot.png"
            page.screenshot(path=str(shot))
            shutil.copyfile(shot, "/tmp/ui-screenshot.png")

            # "Open the document": a new tab with the whole report, scrolled to the marked passage.
            with context.expect_page() as opened:
                page.locator("div.bc-source a[target='_blank']").first.click()
            viewer = opened.value
            viewer.wait_for_selector("div.bc-document", timeout=ANSWER_TIMEOUT_MS)
            viewer.wait_for_function(
                """() => { const el = document.getElementById('passage'); if (!el) return false;
                    const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }""",
                timeout=30_000,
            )
            assert "doc=001_4f6835b70005be68.txt" in viewer.url
            assert viewer.locator("div.bc-document mark.bc-cite").count() > 3
            viewer_shot = tmp_path / "ui-viewer-screenshot.png"
            viewer.screenshot(path=str(viewer_shot))
            shutil.copyfile(viewer_shot, "/tmp/ui-viewer-screenshot.png")
        finally:
            browser.close()
