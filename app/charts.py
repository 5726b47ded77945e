"""Every chart of the app, with one palette: Altair specifications built from small frames."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from analysis.dimensions import label

OTHER = "Other"
OTHER_COLOUR = "#b0b0b0"
PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6",
           "#9d755d", "#79706e", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf"]
BAND = "#8da0cb"  # an expected or forecast range
ACTUAL = "#4c78a8"
FORECAST = "#1f3b73"
FLAGGED = "#d62728"
TIP = ",.2f"


def _axis_format(currency: str | None) -> str:
    return "$,.0f" if currency in (None, "USD") else ",.0f"


def _scale(order: list[str]) -> alt.Scale:
    """The palette in `order`, the folded rest (`Other`, last) in grey."""
    if order and order[-1] == OTHER:
        return alt.Scale(domain=order, range=(PALETTE * 2)[: len(order) - 1] + [OTHER_COLOUR])
    return alt.Scale(domain=order, range=(PALETTE * 2)[: len(order)])


def top_n(frame: pd.DataFrame, column: str, n: int = 8) -> pd.DataFrame:
    """Keep the `n` largest values of `column` by total cost; fold the rest into `Other`."""
    totals = frame.groupby(column)["cost"].sum().abs().sort_values(ascending=False)
    keep = set(totals.index[:n])
    out = frame.copy()
    out[column] = out[column].where(out[column].isin(keep), OTHER)
    return out.groupby([c for c in out.columns if c != "cost"], as_index=False)["cost"].sum()


def stacked_bars(frame: pd.DataFrame, color: str, currency: str | None, grain: str = "month", height: int = 320,
                 last_day: dt.date | None = None, legend: str = "right"):
    """Cost per `period` stacked by `color`: bars for months (a month the data ends inside is drawn paler
    and said to be partial), stacked areas for weeks and days, which would be hair-thin bars."""
    title = label(color)
    frame = frame.rename(columns={color: "series"})  # field names with ':' confuse Vega-Lite shorthand
    order = frame.groupby("series")["cost"].sum().sort_values(ascending=False).index.tolist()
    if OTHER in order:  # the folded rest goes last, in grey
        order = [s for s in order if s != OTHER] + [OTHER]
    y = alt.Y("sum(cost):Q", title=f"Cost ({currency or 'USD'})", axis=alt.Axis(format=_axis_format(currency)),
              stack=True)
    colour = alt.Color("series:N", title=title, sort=order, scale=_scale(order),
                       legend=alt.Legend(labelLimit=320, orient=legend, columns=1))
    tooltip = [alt.Tooltip("series:N", title=title), alt.Tooltip("sum(cost):Q", title="Cost", format=TIP)]
    if grain != "month":
        chart = alt.Chart(frame).mark_area(opacity=0.9).encode(
            x=alt.X("period:T", title=None), y=y, color=colour, order=alt.Order("color_rank:Q"),
            tooltip=[alt.Tooltip("period:T", title="Week of" if grain == "week" else "Day"), *tooltip])
    else:
        frame = frame.assign(note=_month_notes(frame["period"], last_day))
        chart = alt.Chart(frame).mark_bar().encode(
            x=alt.X("yearmonth(period):O", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
            y=y, color=colour, order=alt.Order("color_rank:Q"),
            opacity=alt.condition("datum.note == ''", alt.value(1.0), alt.value(0.45)),
            tooltip=[alt.Tooltip("yearmonth(period):T", title="Month"), alt.Tooltip("note:N", title="Note"),
                     *tooltip])
    return chart.transform_calculate(color_rank=f"indexof({order!r}, datum.series)").properties(height=height)


def _month_notes(periods: pd.Series, last_day: dt.date | None) -> list[str]:
    """'partial: to 29 Nov' for a month the data ends inside, else ''."""
    if last_day is None:
        return [""] * len(periods)
    month_end = (pd.Timestamp(last_day) + pd.offsets.MonthEnd(0)).date()
    partial = last_day < month_end
    return [f"partial: to {last_day:%d %b}" if partial and p.date() == last_day.replace(day=1) else ""
            for p in pd.to_datetime(periods)]


def horizontal_bars(frame: pd.DataFrame, category: str, value: str, currency: str | None,
                    value_format: str | None = None, height: int | None = None):
    """Ranked horizontal bars of `value` per `category`."""
    fmt = value_format or _axis_format(currency)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=240)),
            x=alt.X(f"{value}:Q", title=None, axis=alt.Axis(format=fmt)),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=fmt.replace("$", ""))],
        )
        .properties(height=height or max(100, 34 * len(frame)))
    )




def anomaly_band(window: pd.DataFrame, currency: str | None, height: int = 300) -> alt.LayerChart:
    """Actual daily cost against the expected cost and band, flagged days marked."""
    base = alt.Chart(window).encode(x=alt.X("date:T", title=None))
    return (
        base.mark_area(opacity=0.25, color=BAND).encode(y=alt.Y("lower:Q", title=f"Daily cost ({currency or 'USD'})"),
                                                        y2="upper:Q")
        + base.mark_line(strokeDash=[4, 3], color="#555").encode(y="expected:Q")
        + base.mark_line(color=ACTUAL).encode(y="actual:Q", tooltip=["date:T", alt.Tooltip("actual:Q", format=TIP),
                                                                      alt.Tooltip("expected:Q", format=TIP)])
        + base.transform_filter("datum.flagged").mark_point(color=FLAGGED, size=70, filled=True).encode(y="actual:Q")
    ).properties(height=height)


def forecast(history: pd.DataFrame, band: pd.DataFrame, parts: pd.DataFrame, first_day: pd.Timestamp,
             interval: str, currency: str | None, title: str | None = None, height: int = 360) -> alt.LayerChart:
    """Recent actual days, then the forecast of the total with its interval. With `title` (a dimension's
    label), the history and the parts' forecasts are stacked by series, in the order of `history`'s columns."""
    y_title, axis_format = f"Daily cost ({currency or 'USD'})", _axis_format(currency)
    # Spend that was never negative is drawn from zero up, whatever a part's reconciled forecast does.
    scale = alt.Scale(domainMin=0, clamp=True) if (history.to_numpy() >= 0).all() else alt.Scale()
    x = alt.X("day:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0))
    band_layer = alt.Chart(band).mark_area(opacity=0.35, color=BAND).encode(
        x=x, y=alt.Y("lower:Q", title=y_title, axis=alt.Axis(format=axis_format), scale=scale), y2="upper:Q",
        tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("forecast:Q", title="Total forecast", format=TIP),
                 alt.Tooltip("lower:Q", title=f"Low ({interval})", format=TIP),
                 alt.Tooltip("upper:Q", title=f"High ({interval})", format=TIP)])
    total_line = alt.Chart(band).mark_line(color=FORECAST, strokeDash=[5, 3], strokeWidth=2).encode(
        x=x, y="forecast:Q",
        tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("forecast:Q", title="Total forecast", format=TIP)])
    today = alt.Chart(pd.DataFrame({"day": [first_day]})).mark_rule(color="#888", strokeDash=[2, 2]).encode(x="day:T")
    if title is None:
        actual = history.sum(axis=1).rename("cost").rename_axis("day").reset_index()
        actual_layer = alt.Chart(actual).mark_line(color=ACTUAL, strokeWidth=1.5).encode(
            x=x, y=alt.Y("cost:Q", title=y_title, axis=alt.Axis(format=axis_format), scale=scale),
            tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("cost:Q", title="Actual", format=TIP)])
        chart = band_layer + actual_layer + total_line + today
    else:
        order = list(history.columns)
        colour = alt.Color("series:N", title=title, sort=order, scale=_scale(order), legend=alt.Legend(labelLimit=240))
        rank = f"indexof({order!r}, datum.series)"
        actual = history.rename_axis("day").reset_index().melt("day", var_name="series", value_name="cost")
        actual_layer = alt.Chart(actual).mark_area(opacity=0.85).encode(
            x=x, y=alt.Y("cost:Q", stack=True, title=y_title, axis=alt.Axis(format=axis_format), scale=scale),
            color=colour,
            order=alt.Order("rank:Q"),
            tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("series:N", title=title),
                     alt.Tooltip("cost:Q", title="Actual", format=TIP)]).transform_calculate(rank=rank)
        # The parts' forecasts are stacked like the history: reconciled, they add up to the total line.
        part_areas = alt.Chart(parts).mark_area(opacity=0.45).encode(
            x=x, y=alt.Y("forecast:Q", stack=True, scale=scale), color=colour, order=alt.Order("rank:Q"),
            tooltip=[alt.Tooltip("day:T", title="Day"), alt.Tooltip("series:N", title=title),
                     alt.Tooltip("forecast:Q", title="Forecast", format=TIP),
                     alt.Tooltip("lower:Q", title=f"Low ({interval})", format=TIP),
                     alt.Tooltip("upper:Q", title=f"High ({interval})", format=TIP)]).transform_calculate(rank=rank)
        chart = actual_layer + part_areas + band_layer + total_line + today
    return chart.properties(height=height).resolve_scale(color="shared")


def budget_burn(burn: pd.DataFrame, amount: float | None, currency: str | None, interval: str,
                height: int = 320) -> alt.LayerChart:
    """A budget period: cumulative actual cost, the forecast to the period end with its band, and the
    budget amount as a red line."""
    y = alt.Y("actual:Q", title=f"Cumulative cost ({currency or 'USD'})", axis=alt.Axis(format=_axis_format(currency)),
              scale=alt.Scale(domainMin=0))
    x = alt.X("day:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0))
    money_tip = lambda field, title: alt.Tooltip(f"{field}:Q", title=title, format=TIP)
    actual = alt.Chart(burn.dropna(subset=["actual"])).mark_line(color=ACTUAL, strokeWidth=2.5).encode(
        x=x, y=y, tooltip=[alt.Tooltip("day:T", title="Day"), money_tip("actual", "Actual to date")])
    ahead = burn.dropna(subset=["forecast"])
    layers = [actual]
    if len(ahead):
        layers[:0] = [alt.Chart(ahead).mark_area(opacity=0.3, color=BAND).encode(x=x, y="lower:Q", y2="upper:Q")]
        layers.append(alt.Chart(ahead).mark_line(color=FORECAST, strokeDash=[5, 3], strokeWidth=2).encode(
            x=x, y="forecast:Q", tooltip=[alt.Tooltip("day:T", title="Day"), money_tip("forecast", "Forecast"),
                                          money_tip("lower", f"Low ({interval})"), money_tip("upper", f"High ({interval})")]))
    if amount is not None:
        line = pd.DataFrame({"amount": [amount], "label": [f"Budget {amount:,.0f}"]})
        layers.append(alt.Chart(line).mark_rule(color=FLAGGED, strokeWidth=2).encode(
            y="amount:Q", tooltip=[money_tip("amount", "Budget")]))
        layers.append(alt.Chart(line).mark_text(align="left", dx=4, dy=-7, color=FLAGGED).encode(
            y="amount:Q", text="label:N", x=alt.value(0)))
    return alt.layer(*layers).properties(height=height)


def scenario_lines(frame: pd.DataFrame, budget: pd.DataFrame | None, currency: str | None, interval: str,
                   height: int = 360) -> alt.LayerChart:
    """Monthly totals of the baseline and each scenario (`frame`: month, series, cost, lower, upper), each
    with its interval as a band, and a budget's monthly amount (`budget`: month, amount) as a red line."""
    order = list(dict.fromkeys(frame["series"]))
    colour = alt.Color("series:N", title=None, sort=order,
                       legend=alt.Legend(orient="top", labelLimit=320, symbolOpacity=1, symbolType="stroke"),
                       scale=alt.Scale(domain=order, range=["#7f7f7f", *PALETTE][:len(order)]))
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0))
    y = alt.Y("cost:Q", title=f"Monthly cost ({currency or 'USD'})", axis=alt.Axis(format=_axis_format(currency)),
              scale=alt.Scale(zero=False))
    tip = [alt.Tooltip("series:N", title="Series"), alt.Tooltip("month:T", title="Month", format="%b %Y"),
           alt.Tooltip("cost:Q", title="Forecast", format=TIP), alt.Tooltip("lower:Q", title=f"Low ({interval})", format=TIP),
           alt.Tooltip("upper:Q", title=f"High ({interval})", format=TIP)]
    base = alt.Chart(frame)
    layers = [base.mark_area(opacity=0.15).encode(x=x, y="lower:Q", y2="upper:Q", color=colour),
              base.mark_line(point=True, strokeWidth=2).encode(x=x, y=y, color=colour, tooltip=tip)]
    if budget is not None and len(budget):
        layers.append(alt.Chart(budget).mark_line(color=FLAGGED, strokeDash=[6, 3], interpolate="step-after").encode(
            x=x, y="amount:Q", tooltip=[alt.Tooltip("month:T", title="Month", format="%b %Y"),
                                        alt.Tooltip("amount:Q", title="Budget", format=TIP)]))
    return alt.layer(*layers).properties(height=height)


def percent_lines(frame: pd.DataFrame, height: int = 260) -> alt.Chart:
    """Monthly shares (`frame`: month as `YYYY-MM`, series, share in 0..1) as lines with points."""
    data = frame.sort_values("month", kind="stable")
    data = data.assign(month=pd.to_datetime(data["month"], format="%Y-%m").dt.strftime("%b %Y"))
    months = list(dict.fromkeys(data["month"]))
    order = list(dict.fromkeys(data["series"]))
    return alt.Chart(data).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X("month:O", title=None, sort=months, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title=None, axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("series:N", title=None, sort=order, scale=_scale(order),
                        legend=alt.Legend(orient="top", labelLimit=320)),
        tooltip=[alt.Tooltip("series:N", title="Figure"), alt.Tooltip("month:O", title="Month"),
                 alt.Tooltip("share:Q", title="Value", format=".1%")]).properties(height=height)
