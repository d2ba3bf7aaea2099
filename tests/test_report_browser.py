"""The HTML reports render in a real headless browser (Debian's chromium), tables and charts included."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from themes.breakdown import breakdowns, coded_from_frame
from themes.report import breakdown_report, review_report, to_html
from themes.review import read_review, summarise
from themes.sample import dip_sample, write_review_workbook

from .test_breakdown import frame_of
from .test_review import fill, reviewed_entries
from .test_sample import population

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="chromium is not installed here (apt-get install chromium); CI's .ci/run installs it",
    ),
]


def render(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{page.stem}-{len(extra)}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )


def dom_of(page: Path, tmp_path: Path) -> str:
    result = render(page, tmp_path, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture
def breakdown_page(tmp_path):
    coded = coded_from_frame(frame_of(), name="coded.csv")
    results = breakdowns(coded, by="team", where="period = 2023/24")
    page = tmp_path / "report.html"
    page.write_text(to_html(breakdown_report(results, source="coded.csv")), encoding="utf-8")
    return page


def test_breakdown_report_renders_tables_and_charts(breakdown_page, tmp_path):
    dom = dom_of(breakdown_page, tmp_path)
    assert dom.count("<table") == 2
    assert dom.count('<svg class="chart"') == 3  # categories, top reasons, pillars
    assert len(re.findall(r'<rect class="bar"', dom)) >= 9 + 7
    assert "All (n=10)" in dom and "Children in Care (n=3)" in dom
    assert "Any reason in this category" in dom and "Reasons raised" in dom
    assert "Filter: period = 2023/24." in dom


def test_breakdown_report_draws_pixels(breakdown_page, tmp_path):
    shot = tmp_path / "shot.png"
    result = render(breakdown_page, tmp_path, f"--screenshot={shot}", "--window-size=1200,1600")
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000


def test_review_report_renders(tmp_path):
    sample = dip_sample(coded_from_frame(population(), name="coded.csv"), size=12, seed=4)
    sheet = tmp_path / "sample.xlsx"
    write_review_workbook(sample, sheet)
    summary = summarise([read_review(fill(sheet, reviewed_entries()))])
    page = tmp_path / "findings.html"
    page.write_text(to_html(review_report(summary)), encoding="utf-8")
    dom = dom_of(page, tmp_path)
    assert dom.count("<table") == 1 and dom.count('<rect class="bar"') == 7
    assert "Planning: 3 of 11 (27%)" in dom and "No findings recorded for this pillar." in dom
