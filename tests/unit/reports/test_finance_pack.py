"""The monthly finance pack, read back with openpyxl: its sheets in order, each data sheet one Excel Table with
money headers naming the metric and currency, and every total equal to the query layer and to pandas on the
sample to the cent; bill text that looks like a formula stays text; the command as a scheduled job runs it."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.allocation.queries import allocation, with_rules
from analysis.allocation.rules import load_rules
from analysis.allocation.split import by_owner
from analysis.anomalies import monitor
from analysis.anomalies.triage import event_id, save_triage
from analysis.budgets.evaluate import evaluate
from analysis.dimensions import TOTAL
from analysis.forecast import fitted
from analysis.forecast.forecaster import project_months
from analysis.query import Filters, local_queries
from analysis.reports.pack import SHEETS, PackError, PackInputs, default_month, finance_pack, pack_file_name
from analysis.store.cache import FocusCache
from analysis.store.workspace import token
from tests.conftest import tag_values

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "data" / "workspace"
OCT, SEP, NOV = dt.date(2026, 10, 1), dt.date(2026, 9, 1), dt.date(2026, 11, 1)
USD = "EffectiveCost (USD)"
CENT = 0.005
FORMULAS = ('=HYPERLINK("http://evil","x")', "+1", "@SUM(1)", "-2+3")


# ----- helpers ---------------------------------------------------------------------------------------
def _days(frame: pd.DataFrame) -> pd.Series:
    return frame["ChargePeriodStart"].dt.date


def _month(frame: pd.DataFrame, start: dt.date = OCT) -> pd.DataFrame:
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return frame[(_days(frame) >= start) & (_days(frame) < end)]


def _table(ws) -> tuple[list[str], list[dict], list]:
    """The sheet's one Excel Table: headers, rows as dicts, and the cells."""
    (table,) = ws.tables.values()
    cells = ws[table.ref]
    headers = [c.value for c in cells[0]]
    return headers, [dict(zip(headers, (c.value for c in row), strict=True)) for row in cells[1:]], cells


def _lines(ws) -> dict[str, object]:
    """Label (column A) -> value (column B) of every row: the key figures above and the totals below a Table."""
    return {a.value: b.value for a, b in ws.iter_rows(max_col=2) if isinstance(a.value, str) and b.value is not None}


def _sum(rows: list[dict], column: str) -> float:
    return sum(r[column] for r in rows)


@pytest.fixture(scope="module")
def q(sample_cache):
    return local_queries(sample_cache)


@pytest.fixture(scope="module")
def pack(q, sample_cache):
    return finance_pack(q, inputs=PackInputs.from_workspace(SHIPPED), tag_labels=sample_cache.tag_keys())


@pytest.fixture(scope="module")
def book(pack):
    return load_workbook(io.BytesIO(pack.data))


# ----- shape -----------------------------------------------------------------------------------------
def test_the_default_month_is_the_last_complete_month_and_the_sheets_come_in_order(pack, book):
    assert default_month(dt.date(2026, 11, 15)) == OCT and default_month(dt.date(2026, 10, 31)) == SEP
    assert pack.month == "2026-10" and pack.file_name == "finance_pack_EffectiveCost_USD_2026-10.xlsx"
    assert book.sheetnames == list(SHEETS) == list(pack.sheets)
    for ws in book.worksheets:
        headers, _rows, _ = _table(ws)  # exactly one Excel Table per sheet
        money = [h for h in headers if h.endswith("(USD)")]
        if ws.title != "Definitions":
            assert money and money[0].endswith(USD), (ws.title, headers)  # the first money column: the metric
    assert pack.summary() == {"month": "2026-10", "sheets": list(SHEETS), "charts": 3, "currency": "USD",
                              "totals": {"EffectiveCost": round(pack.totals["EffectiveCost"], 2)}}


def test_numbers_are_numbers_with_cents_and_dates_are_dates(book):
    ws = book["By service"]
    headers, _, cells = _table(ws)
    money = cells[1][headers.index(USD)]
    assert money.data_type == "n" and money.number_format.startswith('#,##0.00 "USD"')
    assert money.value != round(money.value, 2) or isinstance(money.value, float)  # stored unrounded
    month = _table(book["Summary"])[2][1][0]
    assert month.is_date and month.value == dt.datetime(2025, 11, 1) and month.number_format == "mmm yyyy"
    first_day = _table(book["Anomalies"])[2][1][2]
    assert first_day.is_date and first_day.number_format == "yyyy-mm-dd"
    assert _table(book["Budgets"])[2][1][4].is_date


def test_native_charts_on_summary_by_service_and_forecast(pack, book):
    names = zipfile.ZipFile(io.BytesIO(pack.data)).namelist()
    assert {f"xl/charts/chart{i}.xml" for i in (1, 2, 3)} <= set(names)
    assert {ws.title for ws in book.worksheets if ws._charts} == {"Summary", "By service", "Forecast"}
    (band,) = book["Forecast"]._charts
    assert len(band._charts) == 2  # floating interval bars with the actual and forecast lines over them


# ----- totals to the cent ------------------------------------------------------------------------------
def test_month_total_and_changes_equal_the_query_layer_and_pandas(book, q, sample_frame):
    total = _month(sample_frame)["EffectiveCost"].sum()
    assert q.total(Filters(OCT, NOV), "EffectiveCost") == pytest.approx(total, abs=CENT)
    figures = _lines(book["Summary"])
    assert figures[f"Month total {USD}"] == pytest.approx(total, abs=CENT)
    september = _month(sample_frame, SEP)["EffectiveCost"].sum()
    a_year_ago = _month(sample_frame, dt.date(2025, 10, 1))["EffectiveCost"].sum()
    assert figures["September 2026"] == pytest.approx(september, abs=CENT)
    assert figures["Change vs September 2026"] == pytest.approx(total - september, abs=CENT)
    assert figures["Change vs September 2026 (%)"] == pytest.approx((total - september) / september)
    assert figures["October 2025"] == pytest.approx(a_year_ago, abs=CENT)
    assert figures["Change vs October 2025"] == pytest.approx(total - a_year_ago, abs=CENT)
    assert figures["Data's last day"] == dt.datetime(2026, 11, 15)
    _headers, rows, _ = _table(book["Summary"])  # the last 12 months by provider
    assert [r["Month"].date() for r in rows] == list(pd.date_range("2025-11-01", "2026-10-01", freq="MS").date)
    monthly = sample_frame.groupby([sample_frame["ChargePeriodStart"].dt.strftime("%Y-%m"), "ProviderName"])
    for row in rows:
        for provider in ("AWS", "Microsoft", "Google Cloud"):
            expected = monthly["EffectiveCost"].sum().get((f"{row['Month']:%Y-%m}", provider), 0.0)
            assert row[f"{provider} {USD}"] == pytest.approx(expected, abs=CENT)
    assert rows[-1][f"All providers {USD}"] == pytest.approx(total, abs=CENT)


@pytest.mark.parametrize(("sheet", "column", "by"), [("By service", "Service", "ServiceName"),
                                                      ("By account", "Sub-account", "SubAccountName")])
def test_breakdowns_list_every_value_and_add_up_to_the_month(book, sample_frame, sheet, column, by):
    october, september = _month(sample_frame), _month(sample_frame, SEP)
    headers, rows, _ = _table(book[sheet])
    assert headers[:3] == [column, *(["Service category", "Provider"] if by == "ServiceName" else
                                     ["Sub-account ID", "Provider"])]
    assert headers[3:6] == [USD, f"Previous month {USD}", f"Change {USD}"]
    keys = {(r[column], r["Provider"]) for r in rows}  # Tax is a service of each provider
    assert len(keys) == len(rows) and "Other" not in {r[column] for r in rows}  # none folded into Other
    assert keys == set(zip(october[by], october["ProviderName"], strict=True)) | set(
        zip(september[by], september["ProviderName"], strict=True))
    per_value = october.groupby([by, "ProviderName"])["EffectiveCost"].sum()
    for row in rows:
        assert row[USD] == pytest.approx(per_value.get((row[column], row["Provider"]), 0.0), abs=CENT)
    total = october["EffectiveCost"].sum()
    assert _sum(rows, USD) == pytest.approx(total, abs=CENT)  # no total row inside the Table
    assert _sum(rows, f"Previous month {USD}") == pytest.approx(september["EffectiveCost"].sum(), abs=CENT)
    assert _sum(rows, "BilledCost (USD)") == pytest.approx(october["BilledCost"].sum(), abs=CENT)
    assert _sum(rows, "Share of month") == pytest.approx(1.0)
    assert [r[USD] for r in rows] == sorted((r[USD] for r in rows), reverse=True)
    totals = _lines(book[sheet])
    assert totals[f"Month total {USD}"] == pytest.approx(total, abs=CENT)
    assert totals[f"Total previous month {USD}"] == pytest.approx(september["EffectiveCost"].sum(), abs=CENT)


def test_showback_owners_add_up_to_the_month_in_every_dimension(book, q, sample_frame):
    rules = load_rules(SHIPPED / "allocation.yaml")
    total = _month(sample_frame)["EffectiveCost"].sum()
    headers, rows, _ = _table(book["Showback"])
    assert headers[:5] == ["Dimension", "Owner", USD, f"Direct {USD}", f"Shared {USD}"]
    totals = _lines(book["Showback"])
    for dimension in rules.dimensions:
        mine = [r for r in rows if r["Dimension"] == dimension.name]
        assert _sum(mine, USD) == pytest.approx(total, abs=CENT)
        assert totals[f"{dimension.name} total {USD}"] == pytest.approx(total, abs=CENT)
        assert all(r[USD] == pytest.approx(r[f"Direct {USD}"] + r[f"Shared {USD}"], abs=CENT) for r in mine)
    wide = by_owner(allocation(with_rules(q, rules), Filters(SEP, NOV), rules, "Team"))
    shown = {r["Owner"]: r for r in rows if r["Dimension"] == "Team"}
    for month, column in ((OCT, USD), (SEP, f"Previous month {USD}")):
        for owner, cost in wide[wide["month"] == pd.Timestamp(month)].set_index("owner")["total"].items():
            assert shown[owner][column] == pytest.approx(cost, abs=CENT)


def test_budgets_are_judged_on_the_months_last_day(book, q, sample_frame):
    from analysis.budgets.model import parse_budgets

    budgets = parse_budgets((SHIPPED / "budgets.yaml").read_text())
    _headers, rows, _ = _table(book["Budgets"])
    assert [r["Budget"] for r in rows] == [b.name for b in budgets]
    qr = with_rules(q, load_rules(SHIPPED / "allocation.yaml"))
    for budget, row in zip(budgets, rows, strict=True):
        status = evaluate(qr, budget, dt.date(2026, 10, 31), currency="USD")
        assert row["Period"] == status.period.key and row["Status"] == status.status
        assert row[f"Actual to date {USD}"] == pytest.approx(status.actual, abs=CENT)
        assert row[f"Forecast for the period end {USD}"] == pytest.approx(status.forecast, abs=CENT)
    whole = next(r for r in rows if r["Budget"] == "Whole bill")
    fiscal = sample_frame[(_days(sample_frame) >= dt.date(2026, 4, 1)) & (_days(sample_frame) < NOV)]
    assert whole["Period"] == "FY2027" and whole[f"Actual to date {USD}"] == pytest.approx(
        fiscal["EffectiveCost"].sum(), abs=CENT)


def test_forecast_holds_the_next_three_months_per_provider_with_intervals(book, sample_frame):
    headers, rows, _ = _table(book["Forecast"])
    assert headers[:5] == ["Month", "Provider", f"Forecast {USD}", f"80% interval from {USD}", f"80% interval to {USD}"]
    months = [dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1), dt.datetime(2027, 1, 1)]
    assert {(r["Month"], r["Provider"]) for r in rows} == {(m, p) for m in months for p in set(sample_frame["ProviderName"])}
    assert all(0 < r[f"80% interval from {USD}"] <= r[f"80% interval to {USD}"] for r in rows)
    # An independent history (pandas, to the month's last day) refitted gives the same projection.
    aws = sample_frame[(sample_frame["ProviderName"] == "AWS") & (_days(sample_frame) < NOV)]
    daily = aws.groupby(aws["ChargePeriodStart"].dt.tz_localize(None).dt.normalize())["EffectiveCost"].sum()
    daily = daily.reindex(pd.date_range(daily.index.min(), "2026-10-31"), fill_value=0.0)
    expected = project_months(fitted(daily, 0.8), 4).iloc[1:]
    shown = [r for r in rows if r["Provider"] == "AWS"]
    for row, exp in zip(shown, expected.itertuples(), strict=True):
        assert row["Month"] == exp.start
        assert row[f"Forecast {USD}"] == pytest.approx(exp.forecast, rel=1e-6)  # sums in another order
        assert row[f"80% interval from {USD}"] == pytest.approx(exp.lower, rel=1e-6)
    figures = _lines(book["Summary"])  # the next month's forecast of the whole bill, inside its interval
    assert figures["Forecast, 80% interval from"] <= figures["Forecast November 2026"] <= figures[
        "Forecast, 80% interval to"]
    ws = book["Forecast"]  # the chart's data: the last 12 months of actual cost, then the forecast
    history = {a.value: b.value for a, b in ws.iter_rows(min_row=len(rows) + 6, max_col=2) if a.is_date and b.value}
    monthly = sample_frame.groupby(sample_frame["ChargePeriodStart"].dt.strftime("%Y-%m"))["EffectiveCost"].sum()
    assert len(history) == 12 and all(v == pytest.approx(monthly[f"{k:%Y-%m}"], abs=CENT) for k, v in history.items())


def test_anomalies_are_the_months_events_with_root_cause_and_triage(book, q):
    _headers, rows, _ = _table(book["Anomalies"])
    expected = []
    for level in (TOTAL, "ServiceName"):
        by = () if level == TOTAL else (level,)
        events, _ = monitor.scan(q, Filters(end=NOV), "EffectiveCost", by, 0.5, 100.0, 10.0, True)
        expected += [e for e in events.to_dict("records") if e["end"] >= pd.Timestamp(OCT) and e["start"] < pd.Timestamp(NOV)]
    assert len(rows) == len(expected) >= 2
    assert [r[f"Impact {USD}"] for r in rows] == sorted((r[f"Impact {USD}"] for r in rows), key=abs, reverse=True)
    assert sorted(r[f"Impact {USD}"] for r in rows) == pytest.approx(sorted(e["impact"] for e in expected), abs=CENT)
    bedrock = next(r for r in rows if r["Group"] == "Amazon Bedrock")
    assert bedrock["Kind"] == "new-spend" and bedrock["Root cause on the peak day"].startswith("Amazon Bedrock · ")
    assert {r["Triage"] for r in rows} == {"new"}


def test_tags_coverage_and_untagged_costs_equal_pandas(book, sample_frame):
    october = _month(sample_frame)
    total = october["EffectiveCost"].sum()
    tagged = october["Tags"].notna() & ~october["Tags"].isin(["", "{}"])
    _headers, rows, _ = _table(book["Tags"])
    by_key = {r["Tag key"]: r for r in rows}
    assert by_key["(any tag)"][f"Cost carrying the key {USD}"] == pytest.approx(october.loc[tagged, "EffectiveCost"].sum(),
                                                                             abs=CENT)
    team = tag_values(october, "team").notna()
    assert by_key["team"]["Coverage"] == pytest.approx(october.loc[team, "EffectiveCost"].sum() / total)
    assert "cost-center" in by_key  # tag keys as users write them
    figures = _lines(book["Tags"])
    assert figures[f"Cost without any tag {USD}"] == pytest.approx(october.loc[~tagged, "EffectiveCost"].sum(), abs=CENT)
    untagged = october[~tagged].groupby(["ServiceName", "SubAccountName"])["EffectiveCost"].sum().nlargest(1)
    (service, account), cost = next(iter(untagged.items()))
    block = [(a.value, b.value, c.value) for a, b, c in book["Tags"].iter_rows(min_row=len(rows) + 8, max_col=3)]
    assert block[0] == ("Service", "Sub-account", USD) and block[1][:2] == (service, account)
    assert block[1][2] == pytest.approx(cost, abs=CENT)


def test_definitions_name_the_metric_and_the_rules_version(book):
    _, rows, _ = _table(book["Definitions"])
    meaning = {r["Term"]: r["Meaning"] for r in rows}
    assert meaning["Allocation rules version"].startswith(token((SHIPPED / "allocation.yaml").read_text()))
    assert "The metric of this pack" in meaning["EffectiveCost (Effective cost (amortized))"]
    assert {"Forecast", "Anomalies", "Service (ServiceName)", "Sub-account (SubAccountName)"} <= set(meaning)


def test_a_month_without_data_or_an_unknown_scope_value_is_refused(q):
    with pytest.raises(PackError, match="no data for 2024-01"):
        finance_pack(q, "2024-01")
    with pytest.raises(PackError, match="not a month"):
        finance_pack(q, "October")
    with pytest.raises(PackError, match="'Nope'"):
        finance_pack(q, scope=(("ProviderName", ("Nope",)),))


# ----- bill text -------------------------------------------------------------------------------------
def test_bill_text_that_looks_like_a_formula_is_stored_as_text(tmp_path, sample_frame):
    services = ["Amazon EC2", "Amazon S3", "Amazon RDS", "Amazon VPC"]  # one provider: one forecast to fit
    frame = sample_frame[sample_frame["ServiceName"].isin(services)].copy()
    frame["ServiceName"] = frame["ServiceName"].map(dict(zip(services, FORMULAS, strict=True)))
    def retag(text: object, i: int) -> object:  # team tags hold the formulas, in turn
        if not isinstance(text, str) or not text or text == "{}":
            return text
        tags = json.loads(text)
        return json.dumps({k: FORMULAS[i % len(FORMULAS)] if k.lower() == "team" else v for k, v in tags.items()})

    frame["Tags"] = [retag(text, i) for i, text in enumerate(frame["Tags"])]
    cache = FocusCache(tmp_path / "cache")
    cache.add_source([frame], "payload")
    rules = "version: 1\ndimensions:\n  - name: Team\n    rules:\n      - name: Team tag\n" \
            "        when: {tag: team, present: true}\n        owner_from_tag: team\n"
    pack = finance_pack(local_queries(cache), inputs=PackInputs.from_texts(rules_text=rules), tag_labels=cache.tag_keys())
    book = load_workbook(io.BytesIO(pack.data))
    services = {r["Service"] for r in _table(book["By service"])[1]}
    owners = {r["Owner"] for r in _table(book["Showback"])[1]}
    assert set(FORMULAS) <= services and set(FORMULAS) <= owners
    texts = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert {c.value for c in texts} >= set(FORMULAS)
    assert all(c.data_type == "s" for c in texts)  # exactly the text, never a formula
    with zipfile.ZipFile(io.BytesIO(pack.data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any("<f>" in s or "<f " in s for s in sheets)


# ----- the command -----------------------------------------------------------------------------------
def _command(cache: Path, out: Path, *args: str, workspace: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "FINOPS_WORKSPACE": str(workspace or out.parent / "no-workspace")}
    return subprocess.Popen([sys.executable, "-m", "analysis", "--cache", str(cache), "report", "--xlsx", str(out),
                             *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


BAD = {"bad-month": (["--month", "2026-13"], "'2026-13' is not a month"),
       "no-data": (["--month", "2024-01"], "no data for 2024-01"),
       "unknown-dimension": (["--filter", "Colour=blue"], "unknown dimension 'Colour'"),
       "unknown-value": (["--filter", "ProviderName=Nope"], "'Nope'"),
       "not-dim-value": (["--filter", "ProviderName"], "DIM=VALUE"),
       "unknown-metric": (["--metric", "Cost"], "Unknown cost metric 'Cost'")}
AS_PROCESSES = ("bad-month", "no-data", "unknown-dimension")  # the others run in this process (same code)


@pytest.fixture(scope="module", autouse=True)
def _started(request, tmp_path_factory, sample_cache):
    """The scheduled run and three refused arguments as real processes, started with the module's first test
    so that they run while the tests above do (only when a test of the command is selected)."""
    if not any(item.name.startswith("test_command") for item in request.session.items
               if item.module is request.module):
        yield None
        return
    root = tmp_path_factory.mktemp("report-cli")
    workspace = root / "workspace"
    save_triage(workspace, event_id(TOTAL, TOTAL, dt.date(2026, 10, 4)), "expected", "Migration to Cosmos DB",
                days=(dt.date(2026, 10, 4), dt.date(2026, 10, 24)))
    runs = {"default": _command(sample_cache.root, root / "pack.xlsx", workspace=workspace)}
    runs |= {name: _command(sample_cache.root, root / f"{name}.xlsx", *BAD[name][0]) for name in AS_PROCESSES}
    yield root, runs
    for process in runs.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.fixture(scope="module")
def commands(_started):
    """Each process's exit code, stdout and stderr, once it has ended."""
    root, runs = _started
    done = {name: p.communicate(timeout=300) for name, p in runs.items()}
    return root, {name: (runs[name].returncode, out, err) for name, (out, err) in done.items()}


def _in_process(capsys, monkeypatch, cache: Path, out: Path, *args: str) -> tuple[int, str, str]:
    from analysis.__main__ import main

    monkeypatch.setenv("FINOPS_WORKSPACE", str(out.parent / "no-workspace"))
    code = main(["--cache", str(cache), "report", "--xlsx", str(out), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_command_writes_the_pack_and_prints_one_json_line(commands, sample_frame):
    root, runs = commands
    code, out, err = runs["default"]
    assert code == 0 and "Traceback" not in err, err
    result = json.loads(out.strip().splitlines()[-1])
    sheets = [s for s in SHEETS if s != "Budgets"]  # the workspace holds no budgets
    assert result == {"file": str(root / "pack.xlsx"), "month": "2026-10", "sheets": sheets, "charts": 3,
                      "currency": "USD", "totals": {"EffectiveCost": round(_month(sample_frame)["EffectiveCost"].sum(), 2)}}
    book = load_workbook(root / "pack.xlsx")
    assert book.sheetnames == sheets
    total = next(r for r in _table(book["Anomalies"])[1] if r["Monitor"] == "Total spend")
    assert total["Triage"] == "expected" and total["Comment"] == "Migration to Cosmos DB"


def test_command_filters_like_a_scope_in_any_metric(tmp_path, capsys, monkeypatch, sample_cache, sample_frame):
    code, out, err = _in_process(capsys, monkeypatch, sample_cache.root, tmp_path / "aws.xlsx", "--month", "2026-09",
                                 "--filter", "ProviderName=AWS", "--filter", "tag:env=prod", "--filter",
                                 "tag:env=production", "--metric", "BilledCost", "--budgets", str(SHIPPED / "budgets.yaml"))
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    september = _month(sample_frame, SEP)
    kept = september[(september["ProviderName"] == "AWS") & tag_values(september, "env").isin(["prod", "production"])]
    assert result["month"] == "2026-09" and result["sheets"] == list(SHEETS)
    assert result["totals"] == {"BilledCost": round(kept["BilledCost"].sum(), 2)}
    book = load_workbook(tmp_path / "aws.xlsx")
    headers, rows, _ = _table(book["By service"])
    assert headers[3] == "BilledCost (USD)" and headers[-1] == "EffectiveCost (USD)"
    assert _sum(rows, "BilledCost (USD)") == pytest.approx(kept["BilledCost"].sum(), abs=CENT)
    assert {r["Provider"] for r in rows} == {"AWS"}
    assert _lines(book["Summary"])["Scope"] == "Provider: AWS · Tag: env: prod or production"


@pytest.mark.parametrize("name", list(BAD))
def test_command_refuses_a_wrong_argument_with_exit_2(commands, name, tmp_path, capsys, monkeypatch, sample_cache):
    root, runs = commands
    if name in AS_PROCESSES:
        code, _, err = runs[name]
        out = root / f"{name}.xlsx"
    else:
        out = tmp_path / f"{name}.xlsx"
        code, _, err = _in_process(capsys, monkeypatch, sample_cache.root, out, *BAD[name][0])
    assert code == 2 and BAD[name][1] in err and "Traceback" not in err, err
    assert not out.exists()


def test_the_download_name_says_metric_currency_and_month():
    assert pack_file_name("BilledCost", "EUR", "2026-09") == "finance_pack_BilledCost_EUR_2026-09.xlsx"
