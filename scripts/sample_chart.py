"""Draws docs/stats-chart.png, the README's sample of the /stats chart: 30 days of a growing
group, with the Chinese labels (needs a CJK font, e.g. Debian's fonts-noto-cjk).

Run: `.venv/bin/python scripts/sample_chart.py`
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from pathlib import Path

from services.stats import DayPoint
from views.charts import cjk_font, labels_for, render_png


def main() -> None:
    rng = random.Random(11)
    last = date(2026, 11, 23)
    series = []
    for n in range(30):
        day = last - timedelta(days=29 - n)
        weekend = 1.25 if day.weekday() >= 5 else 1.0
        base = 380 + 9 * n + 60 * math.sin(n / 3)
        messages = int(base * weekend * rng.uniform(0.9, 1.1))
        joins = rng.randint(4, 14) + (35 if n == 20 else 0)  # a draw on day 21 brought fans
        series.append(DayPoint(day, messages, int(messages / 6.5), joins))
    png = render_png(series, labels_for("zh", "茶友会 Tea Fans", 30, cjk_font()))
    target = Path(__file__).resolve().parent.parent / "docs" / "stats-chart.png"
    target.write_bytes(png)
    print(f"wrote {target} ({len(png):,} bytes)")


if __name__ == "__main__":
    main()
