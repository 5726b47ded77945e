"""Workbooks open cleanly outside openpyxl: LibreOffice headless prints a view's workbook to PDF (its
charts drawn, the bill's formula-looking text printed as text) and saves it back as .xlsx, which openpyxl
reads with the same sheets, tables, charts, numbers to the cent and text still text. And a 100,000-row table
writes in at most 10 s."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.query import Filters, local_queries
from analysis.reports.excel import Chart, TableSpec, view_workbook
from analysis.store.cache import FocusCache

pytestmark = pytest.mark.libreoffice

# Services of the sample renamed to text a spreadsheet would run as a formula if it were written as one.
FORMULAS = {
    "Amazon S3": '=HYPERLINK("http://evil.example","x")',
    "BigQuery": "+1",
    "Azure SQL Database": "@SUM(1)",
    "Amazon RDS": "-1+2",
}
TOP = 8  # services drawn in the monthly chart; the rest are summed as Other
SHEETS = ["Cover", "KPIs", "Monthly by service", "By service"]
STACKED, LINE, BAR = "Monthly cost by service", "Monthly total", "Largest services"


def _soffice(args: list[str], profile: Path, timeout: float = 180) -> None:
    """One headless LibreOffice run with a private profile, so parallel test processes never share one."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice is missing: run `bash .ci/ensure-libreoffice` (make test does).")
    command = [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"soffice failed ({done.returncode}): {done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def opened(tmp_path_factory, sample_frame):
    """The Explore view of a sample bill whose service names look like formulas, as a workbook; its PDF
    (one page per sheet) and its copy saved back by LibreOffice: one conversion of each for the module."""
    root = tmp_path_factory.mktemp("libreoffice")
    bill = sample_frame.copy()
    bill["ServiceName"] = bill["ServiceName"].replace(FORMULAS)
    cache = FocusCache(root / "cache")
    cache.add_source([bill], "Sample with formula-looking names", kind="sample")
    queries = local_queries(cache)

    everything = Filters()
    total = queries.total(everything)
    services = queries.breakdown(everything, by=("ServiceName",))
    services["share"] = services["cost"] / total
    monthly = queries.series(everything, grain="month", by=("ServiceName",))
    top = list(services["ServiceName"].head(TOP))
    monthly["ServiceName"] = monthly["ServiceName"].where(monthly["ServiceName"].isin(top), "Other")
    wide = monthly.pivot_table(index="period", columns="ServiceName", values="cost", aggfunc="sum", fill_value=0.0)
    wide = wide[[*top, "Other"]].rename_axis(columns=None).reset_index().rename(columns={"period": "Month"})
    wide["Total"] = wide[[*top, "Other"]].sum(axis=1)
    assert set(FORMULAS.values()) <= set(top), "every formula-looking name is drawn in the chart"

    first, last = queries.period()
    book = view_workbook(
        "Explore",
        [("Range", f"{first} to {last}"), ("Metric", "EffectiveCost"), ("Filter", FORMULAS["BigQuery"])],
        [("Total", total, "money"), ("Services", len(services), "number")],
        [
            ("Monthly by service", wide, TableSpec(money=[*top, "Other", "Total"]),
             [Chart(STACKED, "Month", [*top, "Other"], kind="stacked"), Chart(LINE, "Month", ["Total"], kind="line")]),
            ("By service", services, TableSpec(money=["cost"], percent=["share"],
                                               headers={"ServiceName": "Service", "cost": "EffectiveCost (USD)"}),
             [Chart(BAR, "ServiceName", ["cost"], rows=10)]),
        ],
        "USD",
    )
    xlsx = root / "view.xlsx"
    xlsx.write_bytes(book)
    profile = root / "profile"
    one_page_per_sheet = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'
    _soffice(["--convert-to", one_page_per_sheet, "--outdir", str(root / "pdf"), str(xlsx)], profile)
    _soffice(["--convert-to", "xlsx", "--outdir", str(root / "back"), str(xlsx)], profile)
    return {"xlsx": xlsx, "pdf": root / "pdf" / "view.pdf", "back": root / "back" / "view.xlsx",
            "total": total, "services": services, "wide": wide}


def _page_text(pdf: Path, page: int, layout: bool = True) -> str:
    """The text of one page: laid out as printed, or in drawing order (a chart's legend entry by entry)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: run `bash .ci/ensure-libreoffice` (make test does).")
    command = ["pdftotext", *(["-layout"] if layout else []), "-f", str(page), "-l", str(page), str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout


def test_the_pdf_prints_every_sheet_with_its_charts_and_the_bill_text_as_text(opened):
    pdf = opened["pdf"]
    assert pdf.exists() and pdf.stat().st_size > 20_000
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, timeout=60, check=True).stdout
    assert re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE).group(1) == str(len(SHEETS))  # a page per sheet
    cover, kpis, monthly, services = (_page_text(pdf, i) for i in range(1, 5))

    assert "FinOps Workbench: Explore" in cover and "+1" in cover  # the filter, printed as written
    assert f"{opened['total']:,.2f} USD" in kpis  # money in the billing currency, to the cent
    # The charts are drawn: their titles and legends are on the page beside the table.
    assert STACKED in monthly and LINE in monthly
    assert BAR in services
    for name in FORMULAS.values():
        # A formula would print its result (x, 1, 1, 1); the name printed as written means it is text.
        assert name in services, name
        assert re.search(rf"^\s*{re.escape(name)}\s+[\d,]+\.\d\d USD", services, re.MULTILINE), name
        assert name in monthly.splitlines()[0], name  # a header of the monthly table
    # The stacked chart's legend names every series (a long name wrapped over two lines).
    legend = _page_text(pdf, 3, layout=False).split(STACKED, 1)[1]
    for name in [*FORMULAS.values(), "Other"]:
        assert re.sub(r"\s", "", name) in re.sub(r"\s", "", legend), name
    top = opened["services"].iloc[0]
    assert f"{top['cost']:,.2f} USD" in services


def test_libreoffice_saves_it_back_with_the_same_sheets_numbers_and_text(opened):
    original, back = load_workbook(opened["xlsx"]), load_workbook(opened["back"])
    assert back.sheetnames == original.sheetnames == SHEETS
    for sheet in SHEETS:
        assert len(back[sheet]._charts) == len(original[sheet]._charts)
        assert [t.ref for t in back[sheet].tables.values()] == [t.ref for t in original[sheet].tables.values()]
    assert [len(back[s]._charts) for s in SHEETS] == [0, 0, 2, 1]

    rows = list(back["By service"].iter_rows(values_only=False))
    assert [c.value for c in rows[0]] == ["Service", "EffectiveCost (USD)", "share"]
    services = opened["services"]
    assert len(rows) == len(services) + 1
    for (name, cost, share), expected in zip(rows[1:], services.itertuples(index=False), strict=True):
        assert name.data_type == "s" and name.value == expected.ServiceName
        assert cost.data_type == "n" and round(cost.value, 2) == round(expected.cost, 2)
        assert share.value == pytest.approx(expected.share, abs=1e-12)
    texts = {c.value: c.data_type for c in back["By service"]["A"]}
    assert all(texts[name] == "s" for name in FORMULAS.values())
    assert not any(c.data_type == "f" for sheet in back for row in sheet.iter_rows() for c in row)

    monthly = list(back["Monthly by service"].iter_rows())
    wide = opened["wide"]
    header = [c.value for c in monthly[0]]
    assert header == list(wide.columns) and all(c.data_type == "s" for c in monthly[0])
    for row, expected in zip(monthly[1:], wide.itertuples(index=False), strict=True):
        assert row[0].is_date and row[0].value == expected[0].to_pydatetime()
        assert [round(c.value, 2) for c in row[1:]] == [round(v, 2) for v in expected[1:]]
    assert round(sum(r[-1].value for r in monthly[1:]), 2) == round(opened["total"], 2)

    kpis = {r[0].value: r[1] for r in back["KPIs"].iter_rows(min_row=2)}
    assert round(kpis["Total"].value, 2) == round(opened["total"], 2) and kpis["Total"].data_type == "n"
    cover = {r[0].value: r[1].value for r in back["Cover"].iter_rows(min_row=3) if r[0].value}
    assert cover["Filter"] == "+1"


def test_a_100000_row_table_writes_in_at_most_10_seconds():
    """Explore's table by day, service, account and region at its largest. Timed as the CPU time of this
    process, so that other test processes sharing the 2 cores do not count."""
    n = 100_000
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({
        "Day": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
        "ServiceName": rng.choice(["Amazon EC2", "Compute Engine", *FORMULAS.values()], n),
        "SubAccountId": rng.integers(10**11, 10**12, n).astype(str),
        "RegionId": rng.choice(["us-east-1", "eu-west-1", "westeurope"], n),
        "cost": rng.random(n) * 100,
    })
    start, wall = time.process_time(), time.perf_counter()
    book = view_workbook("Explore", [("Metric", "EffectiveCost")], [],
                         [("Lines", frame, TableSpec(money=["cost"]), [])], "USD")
    seconds, wall = time.process_time() - start, time.perf_counter() - wall
    assert seconds <= 10, f"{seconds:.1f} s of CPU ({wall:.1f} s wall) for {n:,} rows"

    with zipfile.ZipFile(io.BytesIO(book)) as z:
        tables = [z.read(name).decode() for name in z.namelist() if name.startswith("xl/tables/")]
    assert len(tables) == 1 and f'ref="A1:E{n + 1}"' in tables[0]  # every row is inside the Table


def test_the_finance_pack_prints_and_saves_back_cleanly(tmp_path, sample_cache):
    """The monthly pack, every sheet: LibreOffice prints it (a page per sheet at least, the charts' titles
    drawn) and saves it back; openpyxl reads the copy with the same sheets and the month's total to the cent."""
    from analysis.reports.pack import PackInputs, finance_pack
    from tests.conftest import ROOT

    pack = finance_pack(local_queries(sample_cache), inputs=PackInputs.from_workspace(ROOT / "data" / "workspace"))
    xlsx = tmp_path / "pack.xlsx"
    xlsx.write_bytes(pack.data)
    profile = tmp_path / "profile"
    _soffice(["--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(xlsx)], profile)
    _soffice(["--convert-to", "xlsx", "--outdir", str(tmp_path / "back"), str(xlsx)], profile)
    pdf = tmp_path / "pdf" / "pack.pdf"
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                                                               check=True).stdout).group(1))
    assert pages >= len(pack.sheets)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Last 12 months by provider" in text  # the Summary chart's title, drawn
    back = load_workbook(tmp_path / "back" / "pack.xlsx")
    assert tuple(back.sheetnames) == pack.sheets
    summary = {row[0].value: row[1].value for row in back["Summary"].iter_rows() if row[0].value and len(row) > 1}
    total = next(v for k, v in summary.items() if str(k).startswith("Month total"))
    assert total == pytest.approx(pack.totals[pack.metric], abs=0.005)
