"""Forecast benchmark: `python -m bench.forecast [--origins 4 --horizon 28 --quick]`.

Rolling-origin backtests of `analysis.forecast.forecast_series` on daily cost series, against the
seasonal naive floor and plain statsmodels ETS (ETS(A,Ad,A) fitted on the raw series, with its own
analytic 80% interval). Origins are `horizon` days apart, the last one `horizon` days before the end;
each fit sees only the days before its origin.

Series (all made by this repository's own code, so they ship with it under its terms):
* sample: the app's sample bill (analysis/sample.py, seed 7, 18 months ending 2026-11-16): total
  EffectiveCost and BilledCost (the latter with month-start commitment purchases and support fees,
  month-end tax and credits), each provider, each sub-account and the 20 largest services.
* archetypes: 24 generated series of 540 days (seeded, see `archetypes`): steady growth, weekday batch,
  month-start licence fees, a lasting level shift, month-end credits, and noisy low spend.

Per method it prints the geometric-mean MASE (28-day mean absolute error over the in-sample seasonal
naive error, period 7, averaged over origins, then a geometric mean over series), the share of actual
days inside the 80% interval, and seconds per fit; then, for `auto`, the month-total projections made on
each of the last months' first day (`project_periods`): the share of actual month totals inside their 80%
interval and the mean absolute percentage error; and the seconds to forecast every service of the sample
at once (`forecast_by`). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
import warnings

import numpy as np
import pandas as pd

from analysis.forecast import forecast_by, forecast_series, mase_scale, project_periods
from analysis.sample import generate_sample

SAMPLE_END = dt.date(2026, 11, 16)
LEVEL = 0.8


def _sample_frame(rows: int = 120_000) -> pd.DataFrame:
    frame = pd.concat(generate_sample(rows, end=SAMPLE_END))
    frame["day"] = frame["ChargePeriodStart"].dt.tz_localize(None).dt.normalize()
    return frame


def sample_series(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Daily series of the sample bill: totals, providers, sub-accounts and the largest services."""
    out = {"sample total effective": frame.groupby("day")["EffectiveCost"].sum(),
           "sample total billed": frame.groupby("day")["BilledCost"].sum()}
    for column, keep in (("ProviderName", None), ("SubAccountName", None), ("ServiceName", 20)):
        wide = frame.groupby(["day", column])["EffectiveCost"].sum().unstack(fill_value=0.0)
        for name in wide.sum().sort_values(ascending=False).index[:keep]:
            out[f"sample {column[:-4].lower()} {name}"] = wide[name]
    return out


def every_service(frame: pd.DataFrame, horizon: int) -> dict[str, float]:
    """Seconds to forecast every service of the sample at once, reconciled (`forecast_by`, top N = all)."""
    wide = frame.groupby(["day", "ServiceName"])["EffectiveCost"].sum().unstack(fill_value=0.0)
    start = time.perf_counter()
    forecast_by(wide, horizon, top_n=wide.shape[1])
    return {"services": wide.shape[1], "all_services_s": time.perf_counter() - start}


def archetypes(n_each: int = 4, days: int = 540, seed: int = 11) -> dict[str, pd.Series]:
    """Generated daily cost series with the shapes cloud bills have (see the module docstring)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2025-05-01", periods=days, freq="D")
    t = np.arange(days)
    weekend = np.asarray(index.day_of_week >= 5)
    first = np.asarray(index.day == 1)
    last = np.asarray((index + pd.Timedelta(days=1)).day == 1)
    out = {}
    for i in range(n_each):
        level = np.exp(rng.normal(np.log(2000), 1.0))
        growth = np.log1p(rng.uniform(-0.01, 0.05)) / 30.44
        week = np.where(weekend, rng.uniform(0.5, 0.95), 1.0)
        noise = np.exp(rng.normal(0, rng.uniform(0.03, 0.1), days))
        base = level * np.exp(growth * t) * week * noise
        out[f"growth {i}"] = base
        out[f"batch {i}"] = level * np.exp(growth * t) * np.where(weekend, 0.15, 1.0) * noise
        out[f"licence {i}"] = base + first * level * rng.uniform(5, 15)
        shift = rng.integers(days - 200, days - 60)
        out[f"level shift {i}"] = base * np.where(t >= shift, rng.uniform(1.3, 1.8), 1.0)
        out[f"credits {i}"] = base - last * level * rng.uniform(1, 4) * (t < days - rng.integers(0, 120))
        out[f"noisy {i}"] = level / 20 * np.exp(growth * t) * week * np.exp(rng.normal(0, 0.35, days))
    return {f"archetype {k}": pd.Series(v, index=index) for k, v in out.items()}


def plain_ets(train: pd.Series, horizon: int) -> pd.DataFrame:
    """statsmodels ETS(A,Ad,A) on the raw series with its own analytic interval: the baseline."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ETSModel(pd.Series(train.to_numpy()), error="add", trend="add", damped_trend=True, seasonal="add",
                       seasonal_periods=7).fit(disp=False)
        frame = fit.get_prediction(start=len(train), end=len(train) + horizon - 1).summary_frame(alpha=1 - LEVEL)
    return pd.DataFrame({"forecast": frame["mean"].to_numpy(), "lower": frame["pi_lower"].to_numpy(),
                         "upper": frame["pi_upper"].to_numpy()})


def run(series: dict[str, pd.Series], methods: list[str], origins: int, horizon: int) -> pd.DataFrame:
    """One row per (series, method): mase, coverage, seconds per fit."""
    rows = []
    for name, y in series.items():
        y = y.astype(float)
        for method in methods:
            mase, inside, seconds = [], [], []
            for k in range(1, origins + 1):
                cut = len(y) - horizon * k
                train, actual = y.iloc[:cut], y.iloc[cut:cut + horizon].to_numpy()
                start = time.perf_counter()
                fc = plain_ets(train, horizon) if method == "plain ETS" else \
                    forecast_series(train, horizon, level=LEVEL, method=method)
                seconds.append(time.perf_counter() - start)
                mase.append(np.mean(np.abs(actual - fc["forecast"].to_numpy())) / mase_scale(train))
                inside.append((actual >= fc["lower"].to_numpy()) & (actual <= fc["upper"].to_numpy()))
            inside = np.array(inside)
            rows.append({"series": name, "method": method, "mase": np.mean(mase), "coverage": inside.mean(),
                         "coverage_week1": inside[:, :7].mean(), "coverage_week4": inside[:, 21:28].mean(),
                         "seconds": np.mean(seconds)})
    return pd.DataFrame(rows)


def month_totals(series: dict[str, pd.Series], months: int) -> dict[str, float]:
    """Month-total projections made on each of the last `months` month starts (history up to the day
    before): share of actual month totals inside the 80% interval, and mean absolute percentage error."""
    inside, ape = [], []
    for y in series.values():
        starts = pd.date_range(end=y.index[-1], periods=months + 1, freq="MS")[:months]
        for start in starts:
            train = y[y.index < start]
            actual = float(y[(y.index >= start) & (y.index < start + pd.offsets.MonthBegin(1))].sum())
            row = project_periods(train, level=LEVEL, months=1).iloc[0]
            inside.append(row["lower"] <= actual <= row["upper"])
            ape.append(abs(row["forecast"] - actual) / abs(actual))
    return {"month_total_coverage": float(np.mean(inside)), "month_total_mape": float(np.mean(ape))}


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Per method: geometric-mean MASE, 80% coverage (all days, first and fourth week ahead), seconds per
    fit (mean and max)."""
    return results.groupby("method", sort=False).agg(
        gmase=("mase", lambda m: float(np.exp(np.mean(np.log(np.maximum(m, 1e-9)))))),
        coverage=("coverage", "mean"), coverage_week1=("coverage_week1", "mean"),
        coverage_week4=("coverage_week4", "mean"), s_per_fit=("seconds", "mean"), s_per_fit_max=("seconds", "max"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--origins", type=int, default=4)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--methods", default="auto,snaive,plain ETS,ets,stl_ets,stl_arima,theta")
    parser.add_argument("--quick", action="store_true", help="totals, providers and 6 archetypes only")
    parser.add_argument("--detail", action="store_true", help="print every series")
    args = parser.parse_args()
    frame = _sample_frame()
    series = sample_series(frame) | archetypes()
    if args.quick:
        series = {k: v for k, v in series.items()
                  if "total" in k or "provider" in k or k.endswith(" 0")}
    methods = args.methods.split(",")
    forecast_series(next(iter(series.values())), 7)  # imports and first-call warm-up, not timed
    start = time.perf_counter()
    results = run(series, methods, args.origins, args.horizon)
    table = summarize(results)
    if args.detail:
        print(results.pivot(index="series", columns="method", values="mase").round(3).to_string())
    print(f"{len(series)} series, {args.origins} origins x {args.horizon} days, {time.perf_counter() - start:.0f} s")
    print(table.round(3).to_string())
    months = month_totals(series, args.origins) if "auto" in methods else {}
    if months:
        print(f"auto, month totals projected on each of the last {args.origins} month starts: "
              f"{months['month_total_coverage']:.1%} inside the 80% interval, mean abs. error "
              f"{months['month_total_mape']:.1%}")
        months |= every_service(frame, args.horizon)
        print(f"auto, all {months['services']} services of the sample forecast and reconciled in "
              f"{months['all_services_s']:.1f} s")
    auto, naive = table.loc["auto", "gmase"], table.loc["snaive", "gmase"] if "snaive" in table.index else np.nan
    ets = table.loc["plain ETS", "gmase"] if "plain ETS" in table.index else np.nan
    print(json.dumps({"series": len(series), "origins": args.origins, "horizon": args.horizon,
                      "gmase": table["gmase"].round(4).to_dict(), "coverage": table["coverage"].round(4).to_dict(),
                      "s_per_fit": table["s_per_fit"].round(4).to_dict(),
                      "auto_vs_snaive": round(1 - auto / naive, 4), "auto_vs_plain_ets": round(1 - auto / ets, 4),
                      **{k: round(v, 4) for k, v in months.items()}}))


if __name__ == "__main__":
    main()
