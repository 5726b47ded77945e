"""Forecast: daily spend ahead with an interval, projected months, quarters and fiscal year, and a
backtest."""

import calendar

import altair as alt
import pandas as pd
import streamlit as st

from analysis.dimensions import METRICS
from analysis.forecast import METHODS
from analysis.forecast.models import LABELS
from analysis.reports.safe_csv import safe_csv
from analysis.rounding import round_columns
from app.door import TOTAL, dimension_label, forecast_accuracy, forecast_view, scope_dimensions, scope_label
from app.ui import PALETTE, empty_state, md, money, money_column, page_view, short_money

BACKTEST_HORIZON = 28  # days ahead of each origin in `forecast_report.accuracy`

view = page_view("Forecast")
cur = view.currency
st.caption("Daily spend ahead from a backtest-weighted combination of statsmodels models (ETS, STL, ARIMA, "
           "Theta); charges that recur on the first or last day of the month are forecast as that schedule. "
           "The interval comes from the forecast's own errors when it was backtested on earlier weeks of "
           "this data.")

dimensions = scope_dimensions()
with st.form("forecast_controls"):
    c1, c2, c3 = st.columns(3)
    dimension = c1.selectbox("Dimension", dimensions, key="fc_dimension",
                             format_func=scope_label,
                             help="Forecast the total alone, or its largest values too (the rest as Other).")
    method = c2.selectbox("Model", METHODS, key="fc_method", format_func=LABELS.get,
                          help="Automatic backtests every model on this data and uses the best (or a blend "
                               "where it backtests better). Pick one to compare it.")
    fiscal = c3.selectbox("Fiscal year starts", range(1, 13), key="fc_fiscal",
                          format_func=lambda m: calendar.month_name[m])
    c1, c2, c3 = st.columns(3)
    horizon = c1.slider("Horizon (days)", 7, 90, 30, key="fc_horizon")
    level = c2.select_slider("Interval", [0.5, 0.8, 0.9, 0.95], 0.8, key="fc_level",
                             format_func="{:.0%}".format,
                             help="Share of actual days the interval should hold.")
    top = c3.slider("Top N", 2, 10, 5, key="fc_top", help="Values forecast on their own when by a dimension.")
    st.form_submit_button("Forecast", icon=":material/trending_up:")

by = None if dimension == TOTAL else dimension
# The forecast uses all history up to the range's end, so the range start is left out of the cache key.
scope = view.filters.between(None, view.filters.end)
try:
    with st.spinner("Forecasting…"):
        fc = forecast_view(scope, view.metric, by, level, top if by else 5, fiscal, method)
except ValueError as error:  # e.g. too few days of history to model
    empty_state(f"No forecast for this scope: {md(str(error).rstrip('.'))}.")
    st.stop()
if fc is None:
    empty_state("No spend in this scope to forecast. Widen the filters, or load data on the **Data** page.")
    st.stop()
if fc.note:
    st.warning(fc.note, icon=":material/warning:")

pct = f"{level:.0%}"
total = fc.total.iloc[:horizon]
first_day, last_day = total.index[0], total.index[-1]
months = fc.projections[fc.projections["kind"] == "Month"]
fiscal_year = fc.projections[fc.projections["kind"] == "Fiscal year"]


def _range(lower: float, upper: float) -> str:
    return f"{pct}: {short_money(lower, cur)} – {short_money(upper, cur)}"


st.caption(f"From {first_day:%a %d %b %Y} (the day after the last day of history) · {METRICS[view.metric]} · "
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
blend = fc.method.count("% ") > 1  # "34% ETS, … + 33% Theta + 33% STL + ETS": a weighted combination
c4.metric("Method", "Automatic" if blend else fc.method, "weighted blend" if blend else None,
          delta_color="off", delta_arrow="off", border=True, help=fc.method)
st.caption(f"Method of the total: {fc.method}.")
with st.expander("Why this model: each candidate's error in the backtest on recent weeks"):
    st.dataframe(fc.candidates, hide_index=True, width="stretch", key="fc_candidates",
                 column_config={"model": "Model", "mae": money_column("Mean absolute daily error", cur),
                                "weight": st.column_config.NumberColumn("Weight in the forecast", format="percent")})
    st.caption("Each model was fitted on the days before each of the last three 28-day windows and scored on "
               "what followed (recurring month-edge charges set aside). The best is used, or the best three "
               "blended by inverse squared error where the blend scored better.")

# Chart: recent actual days, then the forecast with the interval of the total.
shown_days = min(180, max(90, 2 * horizon))  # history shown: twice the horizon, 90 to 180 days
history = fc.history.iloc[-shown_days:]
end_of_forecast = first_day + pd.Timedelta(days=horizon)
band = total.rename_axis("day").reset_index()
actual_total = history.sum(axis=1).rename("cost").rename_axis("day").reset_index()
y_title = f"Daily cost ({cur or 'USD'})"
axis_format = "$,.0f" if cur in (None, "USD") else ",.0f"
tip = ",.2f"
x = alt.X("day:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0))
band_layer = alt.Chart(band).mark_area(opacity=0.35, color="#8da0cb").encode(
    x=x, y=alt.Y("lower:Q", title=y_title, axis=alt.Axis(format=axis_format)), y2="upper:Q",
    tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("forecast:Q", title="Total forecast", format=tip),
             alt.Tooltip("lower:Q", title=f"Low ({pct})", format=tip),
             alt.Tooltip("upper:Q", title=f"High ({pct})", format=tip)])
total_line = alt.Chart(band).mark_line(color="#1f3b73", strokeDash=[5, 3], strokeWidth=2).encode(
    x=x, y="forecast:Q",
    tooltip=[alt.Tooltip("day:T", title="Day"),
             alt.Tooltip("forecast:Q", title="Total forecast", format=tip)])
today = alt.Chart(pd.DataFrame({"day": [first_day]})).mark_rule(color="#888", strokeDash=[2, 2]).encode(
    x="day:T")
parts = pd.DataFrame()
if by:
    parts = fc.parts[fc.parts["day"] < end_of_forecast]
    order = list(fc.history.columns)
    colours = alt.Scale(domain=order, range=(PALETTE * 2)[: len(order) - 1] + ["#b0b0b0"]) \
        if order[-1] == "Other" else alt.Scale(domain=order, range=(PALETTE * 2)[: len(order)])
    title = dimension_label(by)
    colour = alt.Color("series:N", title=title, sort=order, scale=colours, legend=alt.Legend(labelLimit=240))
    rank = f"indexof({order!r}, datum.series)"
    actual_parts = history.rename_axis("day").reset_index().melt("day", var_name="series", value_name="cost")
    actual_layer = alt.Chart(actual_parts).mark_area(opacity=0.85).encode(
        x=x, y=alt.Y("cost:Q", stack=True, title=y_title, axis=alt.Axis(format=axis_format)), color=colour,
        order=alt.Order("rank:Q"),
        tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("series:N", title=title),
                 alt.Tooltip("cost:Q", title="Actual", format=tip)]).transform_calculate(rank=rank)
    # The parts' forecasts are stacked like the history: reconciled, they add up to the total line.
    part_areas = alt.Chart(parts).mark_area(opacity=0.45).encode(
        x=x, y=alt.Y("forecast:Q", stack=True), color=colour, order=alt.Order("rank:Q"),
        tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("series:N", title=title),
                 alt.Tooltip("forecast:Q", title="Forecast", format=tip),
                 alt.Tooltip("lower:Q", title=f"Low ({pct})", format=tip),
                 alt.Tooltip("upper:Q", title=f"High ({pct})", format=tip)]).transform_calculate(rank=rank)
    chart = actual_layer + part_areas + band_layer + total_line + today
    explain = (f"Left of the dotted line: actual daily cost of the last {shown_days} days, stacked by "
               f"{title if title.startswith('Tag') else title.lower()}. Right: each value's forecast (paler, "
               "stacked), reconciled so they add up to the total forecast (dark dashed) on every day; "
               f"shaded: the total's {pct} interval, where about {pct} of actual days should fall.")
else:
    actual_layer = alt.Chart(actual_total).mark_line(color="#4c78a8", strokeWidth=1.5).encode(
        x=x, y=alt.Y("cost:Q", title=y_title, axis=alt.Axis(format=axis_format)),
        tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("cost:Q", title="Actual", format=tip)])
    chart = band_layer + actual_layer + total_line + today
    explain = (f"Blue: actual daily cost of the last {shown_days} days · dark dashed: forecast · shaded: "
               f"its {pct} interval, where about {pct} of actual days should fall.")
st.subheader(f"Daily cost: last {shown_days} days and next {horizon}")
st.altair_chart(chart.properties(height=360).resolve_scale(color="shared"), width="stretch")
st.caption(explain)

if by:
    horizon_parts = parts.groupby("series", sort=False)[["forecast", "lower", "upper"]].sum()
    horizon_parts = round_columns(horizon_parts.reset_index(), ["forecast"])  # shown cents add up to the total
    horizon_parts["method"] = [fc.methods.get(s, "") for s in horizon_parts["series"]]
    st.markdown(f"**By {md(dimension_label(by))}, next {horizon} days**: the forecasts add up to the total; each "
                f"range adds up that value's daily {pct} bounds.")
    st.dataframe(horizon_parts, hide_index=True, width="stretch", key="fc_parts",
                 column_config={"series": dimension_label(by), "forecast": money_column("Forecast", cur),
                                "lower": money_column(f"Low ({pct})", cur),
                                "upper": money_column(f"High ({pct})", cur),
                                "method": st.column_config.TextColumn("Method", width="large")})

st.subheader("Projected periods", help="Cost already in the data plus the forecast of the rest of each "
             "period; the range comes from simulated paths of daily cost.")
projections = fc.projections[["kind", "period", "actual", "forecast", "lower", "upper"]]
st.dataframe(projections, hide_index=True, width="stretch", key="fc_projections",
             height=min(640, 35 * (len(projections) + 1) + 3),
             column_config={"kind": "Kind", "period": "Period", "actual": money_column("Actual to date", cur),
                            "forecast": money_column("Projected total", cur),
                            "lower": money_column(f"Low ({pct})", cur),
                            "upper": money_column(f"High ({pct})", cur)})

st.subheader("How far to trust it", help="The forecast of the total, refitted at earlier dates of this data "
             f"and compared with what happened over the next {BACKTEST_HORIZON} days.")
with st.spinner("Backtesting…"):
    accuracy = forecast_accuracy(scope, view.metric, level, method)
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

download = band.assign(series=TOTAL)
download = pd.concat([download, parts]) if by else download
download = download[["day", "series", "forecast", "lower", "upper"]]
download["day"] = download["day"].dt.date
st.download_button("Download daily forecast (CSV)", safe_csv(download),
                   file_name=f"forecast_{first_day:%Y%m%d}_{horizon}d.csv", mime="text/csv",
                   icon=":material/download:", key="fc_download")
