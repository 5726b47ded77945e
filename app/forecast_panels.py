"""The Forecast page's panels: the KPI row and the backtest that says how far to trust the forecast."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.dimensions import METRICS
from analysis.forecast.models import LABELS
from analysis.forecast.report import ForecastView
from analysis.reports.excel import Chart
from app import workbook
from app.ui import money, money_column, short_money

BACKTEST_HORIZON = 28  # days ahead of each origin in `analysis.forecast.report.accuracy`


def kpis(fc: ForecastView, horizon: int, pct: str, metric: str, cur: str | None) -> None:
    """Next N days, this month and the fiscal year, each with its range; the method."""
    total = fc.total.iloc[:horizon]
    first_day, last_day = total.index[0], total.index[-1]
    months = fc.projections[fc.projections["kind"] == "Month"]
    fiscal_year = fc.projections[fc.projections["kind"] == "Fiscal year"]

    def _range(lower: float, upper: float) -> str:
        return f"{pct}: {short_money(lower, cur)} – {short_money(upper, cur)}"

    st.caption(f"From {first_day:%a %d %b %Y} (the day after the last day of history) · {METRICS[metric]} · "
               f"{cur or 'USD'}")
    c1, c2, c3, c4 = st.columns(4)
    span = fc.cumulative.iloc[horizon - 1]
    lower, upper = float(span["lower"]), float(span["upper"])
    c1.metric(f"Forecast, next {horizon} days", money(float(span["forecast"]), cur),
              _range(lower, upper), delta_color="off", delta_arrow="off", border=True,
              help=f"{first_day:%d %b} to {last_day:%d %b %Y}; {pct} range of the total "
                   f"{money(lower, cur)} – {money(upper, cur)}, from simulated paths of daily cost.")
    if len(months):
        month = months.iloc[0]
        c2.metric("This month (projected)", money(float(month["forecast"]), cur),
                  _range(month["lower"], month["upper"]), delta_color="off", delta_arrow="off", border=True,
                  help=f"{month['period']}: {money(float(month['actual']), cur)} spent so far plus the forecast "
                       f"of the remaining days; {pct} range {money(month['lower'], cur)} – "
                       f"{money(month['upper'], cur)}.")
    if len(fiscal_year):
        year = fiscal_year.iloc[0]
        last_month = year["end"] - pd.Timedelta(days=1)
        c3.metric("Fiscal year (projected)", money(float(year["forecast"]), cur),
                  _range(year["lower"], year["upper"]), delta_color="off", delta_arrow="off", border=True,
                  help=f"{year['period']} ({year['start']:%b %Y} – {last_month:%b %Y}): "
                       f"{money(float(year['actual']), cur)} spent so far plus the forecast; {pct} range "
                       f"{money(year['lower'], cur)} – {money(year['upper'], cur)}.")
    else:
        c3.metric("Fiscal year (projected)", "—", border=True,
                  help="The fiscal year ends beyond the projections.")
    short = "Automatic" if fc.blended else fc.method.split(",")[0]  # the full name is in the help and below
    c4.metric("Method", short, "weighted blend" if fc.blended else None,
              delta_color="off", delta_arrow="off", border=True, help=fc.method)
    st.caption(f"Method of the total: {fc.method}.")


def trust(accuracy: pd.DataFrame, method: str, level: float, pct: str, cur: str | None) -> None:
    """The chosen model's backtest against repeating last week: error change and interval coverage."""
    if accuracy.empty:
        st.caption(f"The history is too short to backtest a {BACKTEST_HORIZON}-day forecast.")
    else:
        chosen, naive = accuracy.loc[method], accuracy.loc["snaive"]
        days = int(chosen["origins"]) * BACKTEST_HORIZON
        inside = round(float(chosen["coverage"]) * days)
        name = "automatic forecast" if method == "auto" else f"{LABELS[method]} forecast"
        if method == "snaive":
            verdict = "This is the baseline itself"
        else:
            change = 1 - float(chosen["mae"]) / float(naive["mae"]) if naive["mae"] else 0.0
            better = (f"**{abs(change):.0%} {'lower' if change > 0 else 'higher'}** than" if abs(change) >= 0.005
                      else "**about the same** as")
            verdict = f"On this data, the {name}'s {BACKTEST_HORIZON}-day error was {better} repeating last week"
        st.markdown(f"{verdict}; **{inside} of {days}** actual days fell inside its {pct} interval "
                    f"(target {level * days:.0f}).")
        table = accuracy.reset_index()[["method", "mase", "mae", "coverage"]]
        table["method"] = table["method"].map(LABELS.get)
        st.dataframe(table, hide_index=True, width="stretch", key="fc_accuracy",
                     column_config={"method": "Method",
                                    "mase": st.column_config.NumberColumn(
                                        "MASE", format="%.2f", help="Mean absolute error over that of "
                                        "repeating the week before, in the training data: under 1 beats the "
                                        "naive forecast."),
                                    "mae": money_column("Mean absolute daily error", cur),
                                    "coverage": st.column_config.NumberColumn(
                                        f"Days inside the {pct} interval", format="percent")})
        st.caption(f"{int(chosen['origins'])} backtests, {BACKTEST_HORIZON} days each, on the total of this scope.")



def workbook_download(view, fc, history: pd.DataFrame, band: pd.DataFrame, daily: pd.DataFrame,
                      projections: pd.DataFrame, horizon: int, pct: str, by: str | None, method: str) -> None:
    """The Forecast view as a workbook: KPIs, the recent history with the forecast and its band (a native line
    chart), every series' daily forecast, and the projected periods."""
    span = fc.cumulative.iloc[horizon - 1]
    actual = history.sum(axis=1).rename("Actual").rename_axis("Day").reset_index()
    ahead = band.rename(columns={"day": "Day", "forecast": "Forecast", "lower": f"Low ({pct})",
                                 "upper": f"High ({pct})"})
    lines = pd.concat([actual, ahead], ignore_index=True)
    series = [c for c in lines.columns if c != "Day"]
    workbook.download(view, "Forecast", [
        ("History and forecast", lines, workbook.money_spec(lines, view),
         [Chart(f"Daily cost and the next {horizon} days ({pct} band)", "Day", series, "line", f"{view.metric}")]),
        ("Daily forecast", daily, workbook.money_spec(daily, view), ()),
        ("Projected periods", projections, workbook.money_spec(projections, view), ())],
        kpis=[(f"Forecast, next {horizon} days", float(span["forecast"]), "money"),
              (f"Low ({pct})", float(span["lower"]), "money"), (f"High ({pct})", float(span["upper"]), "money")],
        extra=[("Dimension", by or "total"), ("Model", f"{method}: {fc.method}"), ("Horizon (days)", horizon),
               ("Interval", pct), ("Forecast from", band["day"].iloc[0].date())],
        name=("forecast", by or "total", f"{horizon}d"), dated=False)
