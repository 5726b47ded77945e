"""Forecast: daily spend ahead with an interval, projected months, quarters and fiscal year, and a
backtest."""

import calendar

import pandas as pd
import streamlit as st

from analysis.forecast import METHODS
from analysis.forecast.models import LABELS
from analysis.reports.safe_csv import download_name, safe_csv
from analysis.rounding import round_columns
from app import charts, forecast_panels, url
from app.door import TOTAL, dimension_label, forecast_accuracy, forecast_view, scope_dimensions, scope_label
from app.ui import empty_state, md, money_column, page_view

view = page_view("Forecast")
cur = view.currency
st.caption("Daily spend ahead from a backtest-weighted combination of statsmodels models (ETS, STL, ARIMA, "
           "Theta); charges that recur on the first or last day of the month are forecast as that schedule. "
           "The interval comes from the forecast's own errors when it was backtested on earlier weeks of "
           "this data.")

dimensions = scope_dimensions()
url.seed("dimension", "fc_dimension", TOTAL, dimensions, label="Dimension")
url.seed("model", "fc_method", "auto", METHODS, label="Model")
url.seed("fy", "fc_fiscal", 1, range(1, 13), url.number, label="Fiscal year start")
url.seed("horizon", "fc_horizon", 30, range(7, 91), url.number, label="Horizon")
url.seed("interval", "fc_level", 0.8, (0.5, 0.8, 0.9, 0.95), url.number, label="Interval")
url.seed("fc_top", "fc_top", 5, range(2, 11), url.number, label="Top N")
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
    horizon = c1.slider("Horizon (days)", 7, 90, key="fc_horizon")
    level = c2.select_slider("Interval", [0.5, 0.8, 0.9, 0.95], key="fc_level",
                             format_func="{:.0%}".format,
                             help="Share of actual days the interval should hold.")
    top = c3.slider("Top N", 2, 10, key="fc_top", help="Values forecast on their own when by a dimension.")
    st.form_submit_button("Forecast", icon=":material/trending_up:")
url.publish({"dimension": dimension, "model": method, "fy": fiscal, "horizon": horizon, "interval": level,
             "fc_top": top})

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
first_day = total.index[0]
forecast_panels.kpis(fc, horizon, pct, view.metric, cur)
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
parts = fc.parts[fc.parts["day"] < end_of_forecast] if by else pd.DataFrame()
title = dimension_label(by) if by else None
if by:
    explain = (f"Left of the dotted line: actual daily cost of the last {shown_days} days, stacked by "
               f"{title if title.startswith('Tag') else title.lower()}. Right: each value's forecast (paler, "
               "stacked), reconciled so they add up to the total forecast (dark dashed) on every day; "
               f"shaded: the total's {pct} interval, where about {pct} of actual days should fall.")
else:
    explain = (f"Blue: actual daily cost of the last {shown_days} days · dark dashed: forecast · shaded: "
               f"its {pct} interval, where about {pct} of actual days should fall.")
st.subheader(f"Daily cost: last {shown_days} days and next {horizon}")
st.altair_chart(charts.forecast(history, band, parts, first_day, pct, cur, title), width="stretch")
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
             f"and compared with what happened over the next {forecast_panels.BACKTEST_HORIZON} days.")
with st.spinner("Backtesting…"):
    accuracy = forecast_accuracy(scope, view.metric, level, method)
forecast_panels.trust(accuracy, method, level, pct, cur)

download = band.assign(series=TOTAL)
download = pd.concat([download, parts]) if by else download
download = download[["day", "series", "forecast", "lower", "upper"]]
download["day"] = download["day"].dt.date
left, right = st.columns([1, 4])
left.download_button("Download daily forecast (CSV)", safe_csv(download, ["forecast", "lower", "upper"]),
                     file_name=download_name("forecast", by or "total", view.metric, cur, first_day.date(),
                                             f"{horizon}d", f"{level:.0%}".replace("%", "pct")), mime="text/csv",
                     icon=":material/download:", key="fc_download")
with right:
    forecast_panels.workbook_download(view, fc, history, band, download, projections, horizon, pct, by, method)
