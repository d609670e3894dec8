"""Browsers send to Floe across origins (docs/design.md §3, CORS): headless Chromium from Debian runs a page
served from another origin that posts a batch with `fetch(..., {credentials: "include"})`, as a browser SDK
that sends cookies or an `Authorization` header does. The JSON content type makes Chromium send a preflight
first. With `ALLOWED_ORIGINS=*` and with an explicit list, the page must read Floe's answer and the event must
be stored; with an origin not in the list, the browser must refuse to hand the answer to the page.
"""
from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from html import unescape
from pathlib import Path

import pytest

from api import rows_with_keys, unique
from floe_server import free_port
from tables import EVENTS

PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>
fetch("FLOE/v1/batch", {method: "POST", credentials: "include",
      headers: {"Content-Type": "application/json", "X-Request-Id": "browser-cors"},
      body: JSON.stringify({batch: [{type: "track", userId: "browser", event: "Clicked", messageId: "MESSAGE_ID"}]})})
  .then(response => response.json().then(body => "status " + response.status + " " + JSON.stringify(body)))
  .catch(error => "failed " + error)
  .then(text => { document.getElementById("out").textContent = text; });
</script></body></html>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Chromium is not installed (make interop installs Debian's chromium package)"
    return found


def run_page(floe_url: str, tmp_path: Path, message_id: str, port: int | None = None) -> str:
    """What the page wrote after its fetch, loaded from http://localhost:<port>/ (another origin than Floe's
    http://127.0.0.1:<its port>)."""
    (tmp_path / "page.html").write_text(PAGE.replace("FLOE", floe_url).replace("MESSAGE_ID", message_id))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    port = port or free_port()
    pages = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    try:
        result = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--user-data-dir=" + str(tmp_path / "profile"), "--virtual-time-budget=15000",
             "--dump-dom", f"http://localhost:{port}/page.html"],
            capture_output=True, text=True, timeout=90)
    finally:
        pages.shutdown()
    dom = result.stdout
    assert '<pre id="out">' in dom, f"no page from Chromium (exit {result.returncode}): {result.stderr[-2000:]}"
    return unescape(dom.split('<pre id="out">', 1)[1].split("</pre>", 1)[0])


@pytest.mark.parametrize("listed", [False, True], ids=["wildcard", "list"])
def test_a_browser_sends_with_credentials_across_origins(floe, tmp_path: Path, listed: bool):
    page_port = free_port()
    allowed = f"https://other.example, http://localhost:{page_port}" if listed else "*"
    server = floe(env={"ALLOWED_ORIGINS": allowed})
    message_id = unique("browser")
    text = run_page(server.url, tmp_path, message_id, port=page_port)
    assert text.startswith("status 200 "), f"the page could not read Floe's answer: {text!r}"
    assert '"accepted":1' in text, text
    server.flush()
    assert len(rows_with_keys(server, EVENTS, [message_id])) == 1


def test_a_browser_on_an_origin_not_allowed_gets_no_answer(floe, tmp_path: Path):
    server = floe(env={"ALLOWED_ORIGINS": "https://app.example.com"})
    text = run_page(server.url, tmp_path, unique("browser"))
    assert text.startswith("failed "), f"a page from another origin read the answer: {text!r}"
