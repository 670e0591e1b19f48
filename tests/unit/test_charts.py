"""The /stats chart finds a CJK font installed after matplotlib wrote its font cache (a server
that got `fonts-noto-cjk` after its first chart): matplotlib never looks again by itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from views.charts import CJK_FAMILIES, CJK_FILES

ROOT = Path(__file__).resolve().parents[2]

# Run in a process of its own: matplotlib's font list is a process-wide singleton.
BUILD_CACHE = (
    "import matplotlib; from matplotlib import font_manager; print(matplotlib.get_cachedir())"
)
DRAW_IN_CHINESE = """
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from views.charts import CJK_FAMILIES, cjk_font, labels_for, render_png
from services.stats import DayPoint
from datetime import date
stale = [f.name for f in font_manager.fontManager.ttflist if f.name in CJK_FAMILIES]
assert stale == [], stale  # the cache was written before the font: matplotlib cannot see it
labels = labels_for("zh", "粉丝群", 7, cjk_font())
assert labels.font in CJK_FAMILIES and labels.messages == "消息", labels
png = render_png([DayPoint(date(2026, 12, 1), 5, 2, 1)], labels)
assert png.startswith(b"\\x89PNG")
used = font_manager.findfont(FontProperties(family=labels.font), fallback_to_default=False)
print(used)
"""


def has_cjk_font() -> bool:
    found = subprocess.run(
        ["fc-list", ":lang=zh-cn", "file"], capture_output=True, text=True, check=False
    ).stdout.strip() if os.path.exists("/usr/bin/fc-list") else ""  # fmt: skip
    return bool(found) or any(os.path.isfile(path) for path in CJK_FILES)


def run(code: str, config: Path) -> str:
    environment = {**os.environ, "MPLCONFIGDIR": str(config), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment,
        cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.mark.skipif(not has_cjk_font(), reason="no CJK font (make test installs fonts-noto-cjk)")
def test_a_zh_chart_uses_the_cjk_font_a_stale_font_cache_does_not_list(tmp_path: Path) -> None:
    config = tmp_path / "matplotlib"
    config.mkdir()
    cache_dir = Path(run(BUILD_CACHE, config))  # a fresh cache, written with every font
    (cache,) = cache_dir.glob("fontlist-*.json")
    written = json.loads(cache.read_text())
    written["ttflist"] = [
        font for font in written["ttflist"]
        if font["name"] not in CJK_FAMILIES and "CJK" not in font["fname"]
    ]  # fmt: skip
    cache.write_text(json.dumps(written))  # as if written before the font was installed
    used = run(DRAW_IN_CHINESE, config)
    assert Path(used).name.lower().startswith(("notosanscjk", "sourcehan", "wqy")), used
