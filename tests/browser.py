"""Open HTML reports in headless Chromium: console errors, broken images, a screenshot.

Used by tests/test_reports_browser.py (``make report-check``).  Chromium is the
Debian package ``chromium`` (or ``chromium-browser``/``google-chrome``); the
report is loaded in an iframe of a small harness page that counts the figures
(``<img>`` and inline ``<svg>``) and those which did not decode (an image that
does not load; an SVG with no size, nothing drawn, or a reference to a missing
definition), and Chromium's console log (``--enable-logging=stderr``)
is scanned for console messages (a CSP violation, a script error, a failed load).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars"]

HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<iframe id="f" src="report.html" style="width:1200px;height:900px"></iframe>
<pre id="result">PENDING</pre>
<script>
document.getElementById('f').addEventListener('load', function () {
  var out = [];
  try {
    var doc = this.contentDocument;
    var imgs = doc.images;
    var svgs = doc.querySelectorAll('figure > svg');
    out.push('images ' + (imgs.length + svgs.length));
    for (var i = 0; i < imgs.length; i++) {
      var im = imgs[i];
      if (!(im.complete && im.naturalWidth > 0)) out.push('broken image ' + i + ': ' + (im.alt || im.src.slice(0, 40)));
    }
    // an inline SVG figure is broken when it has no size, draws nothing, or references a missing definition
    for (var j = 0; j < svgs.length; j++) {
      var svg = svgs[j], box = svg.getBoundingClientRect(), why = [];
      if (!(box.width > 0 && box.height > 0)) why.push('no size');
      if (!svg.querySelector('path, use, text, rect, circle, polygon, polyline, image')) why.push('draws nothing');
      var refs = svg.querySelectorAll('use, [clip-path]');
      for (var k = 0; k < refs.length; k++) {
        var ref = refs[k].getAttribute('xlink:href') || refs[k].getAttribute('href') || '';
        var m = (refs[k].getAttribute('clip-path') || '').match(/url\\(#([^)]+)\\)/);
        var id = ref.charAt(0) === '#' ? ref.slice(1) : (m ? m[1] : null);
        if (id && !doc.getElementById(id)) { why.push('missing #' + id); break; }
      }
      if (why.length) out.push('broken svg ' + j + ': ' + (svg.getAttribute('aria-label') || '') + ' (' + why.join(', ') + ')');
    }
    out.push('title ' + doc.title);
  } catch (e) { out.push('harness error ' + e); }
  document.getElementById('result').textContent = 'DONE\\n' + out.join('\\n');
});
</script></body></html>
"""


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Check:
    """What the browser saw."""

    images: int
    broken: list[str]
    console: list[str]
    title: str

    @property
    def ok(self) -> bool:
        return not self.broken and not self.console and self.images >= 0


def _run(browser: str, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=timeout)


def check_report(browser: str, report: Path) -> Check:
    """Load ``report`` in headless Chromium; count images, broken images and console messages."""
    with tempfile.TemporaryDirectory() as work:
        work_dir = Path(work)
        shutil.copy(report, work_dir / "report.html")
        (work_dir / "harness.html").write_text(HARNESS, encoding="utf-8")
        proc = _run(browser, ["--allow-file-access-from-files", "--enable-logging=stderr", "--v=0",
                              "--virtual-time-budget=15000", "--dump-dom", (work_dir / "harness.html").as_uri()])
    m = re.search(r'<pre id="result">(.*?)</pre>', proc.stdout, re.S)
    if m is None or not m.group(1).startswith("DONE"):
        raise RuntimeError(f"the harness did not finish (exit {proc.returncode}): {proc.stderr[-2000:]}")
    lines = m.group(1).splitlines()[1:]
    images = int(next(line.split()[1] for line in lines if line.startswith("images ")))
    broken = [line for line in lines if line.startswith(("broken image", "broken svg", "harness error"))]
    title = next((line[6:] for line in lines if line.startswith("title ")), "")
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line]
    return Check(images, broken, console, title)


def screenshot(browser: str, report: Path, png: Path, size: str = "1280,2400") -> Path:
    """A full-width screenshot of ``report`` into ``png``."""
    png.parent.mkdir(parents=True, exist_ok=True)
    proc = _run(browser, [f"--screenshot={png}", f"--window-size={size}", "--virtual-time-budget=15000",
                          report.resolve().as_uri()])
    if not png.exists():
        raise RuntimeError(f"no screenshot written (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return png
