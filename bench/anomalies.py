"""Anomaly-detection benchmark: `python -m bench.anomalies [--series 500 --days 540 --seed 1]`.

Two labelled synthetic data sets of `series` sub-accounts x `days` days, scored in one run at the default
sensitivity: the old one (seed `seed`, unchanged since the first anomaly issue, so its figures stay
comparable) and a new one (seed `seed + 1`) with billing patterns the old one never had. Detection runs on
the daily usage per account with the holiday calendar a user's workspace would give (the old data: the
default, US public holidays and the year-end period; the new data: each account's own country, one call
per country). Prints event-level precision and recall, root-cause top-1 accuracy and runtime for each
data set and, for the new one, per pattern; the last printed line is one JSON object.

Old data (all amounts money per day):
* account scale: lognormal, typical daily cost ~20 to ~20,000; 5 services with Dirichlet weights; per
  service a weekend factor in [0.5, 1], per account a growth in [-1 %, +5 %] per month, multiplicative
  noise with sigma 3-8 % per service.
* unlabelled tricky patterns (must not be flagged): weekends; growth; month-start support fees on 30 % of
  accounts (3-10 x the daily cost on day 1 of each month, in service "support"); credits on 10 % of
  accounts (service "credits", negative, 0.3-3 x the daily cost, on 3 random days; detection runs on
  usage, i.e. without the "credits" service, as documented in analysis/anomalies/detect.py; precision on
  the net cost with credits is printed too); sparse accounts (5 %: each service charges on ~20 % of days).
* labelled anomalies, one per account on 45 % of accounts, starting on a day in [120, days - 20]:
  spike (1-2 days, +20 % to +300 % of the account's daily cost, on one service), level-shift (+20 % to
  +100 % from then on), drift (a linear ramp to +50 % to +100 % over 21-35 days, then held), drop
  (the account's largest service, >= 20 % of its cost, stops for good, or for 1-3 days: outage);
  new-spend: 4 % of accounts exist only from a day in [150, days - 20].

New data (from 1 Oct 2024, so two year-ends; made without the detector's rules in mind):
* usage as above, plus a slow random walk of each service's level (daily sigma 0.1-0.4 %), accounts in
  8 countries (US, GB, DE, FR, JP, IN, BR, AU), each built around one pattern (a third each):
* holiday: a year-end dip on these accounts and 60 % of the others, from a day in 17-23 Dec to one in
  1-5 Jan, 10-20 % deep (per service x0.5-1.5, at most 35 %), up to 1.4 x deeper on 24-26 and 31 Dec and
  1 Jan, half on its first and last day; dips on the country's public holidays (the holidays library) on
  these accounts and 40 % of the others, 5-25 % deep, half of it on the next day (30 %) or the day before
  (15 %). Labelled on 70 % of these accounts: a spike, an outage, a lasting drop or a level shift (sizes
  as above) on a day inside a year-end dip (70 %) or on a public holiday.
* month-start: charges on the 1st on these accounts (1-2 kinds, at least one a share) and 40 % of the
  others (one kind): a fixed licence (1-6 x the daily cost), support at 3-10 % of the previous month's
  usage, a commitment at 5-20 % of the largest service's usage two months back (months before the data:
  as its first month). Labelled on every such account: a level shift (2/3) or a lasting drop (1/3) on a
  day in [90, days - 75], which the later month-start charges then follow, and on 35 % of them a one-off
  purchase (2-5 x the daily cost, service "purchase") on one of the next two month starts.
* growth: these accounts grow 50-80 % a year (the whole account, or only its largest service), with the
  random walk on top. Labelled on 70 %: a spike, outage, lasting drop, level shift or drift (sizes as
  above) on a day in [150, days - 20].

Scoring: predicted events = group_events of the flagged days per account. An event is a true positive
when it overlaps a labelled anomaly's window (spike, outage: its days + 1; lasting level-shift or drop:
7 days from the start; drift: ramp + 14 days; new-spend: 7 days), so a re-flag of a change that should
have been learned counts as a false positive. Recall counts labelled anomalies whose daily impact is
>= 20 % of the account's typical daily cost, found when an event starts in [start - 1, start + 3]
(drift: [start, ramp end + 7]). A lasting change that begins while the account's usage dips for a
holiday can only be told from the dip once the dip ends: its window and its found-by day run to 7 days
after the dip. Root cause, for each found anomaly: explain_anomaly by (account, service), with the same
holidays, on the detail of the flagged account (its 140 days up to the day), on the anomaly's first day
(drift: the day the detector first flagged it, with against="drift" when the detector called it a
drift); correct when the top row is the injected service (for a new account: the account; ranking all
accounts' combinations at once would mostly measure the noise of the largest). Per pattern of the new
data: precision of the events that start on the pattern's days of the accounts built around it
(holidays: 15 Dec-8 Jan and the country's public holidays +-2 days; month starts +-1 day from day 90;
growth: every day), recall and root cause of the anomalies placed inside the pattern.
"""

from __future__ import annotations

import argparse
import json
import time

import holidays as holiday_library
import numpy as np
import pandas as pd

from analysis.anomalies import detect_anomalies, explain_anomaly, group_events
from analysis.anomalies.holidays import HolidaySettings

KINDS = ["spike", "level-shift", "drift", "drop"]


def generate(n: int = 500, days: int = 540, seed: int = 1):
    rng = np.random.default_rng(seed)
    T, J = days, 5
    dates = pd.date_range("2025-01-01", periods=T, freq="D")
    t = np.arange(T)
    weekend = np.asarray(dates.day_of_week >= 5)
    scale = np.exp(rng.normal(np.log(600), 1.2, n))
    w = rng.dirichlet(np.ones(J) * 1.5, n)
    wk = rng.uniform(0.5, 1.0, (n, J))
    growth = np.log1p(rng.uniform(-0.01, 0.05, n)) / 30.44
    sigma = rng.uniform(0.03, 0.08, (n, J))
    base = scale[:, None, None] * w[:, :, None] * np.exp(growth[:, None, None] * t)
    base = base * np.where(weekend, wk[:, :, None], 1.0)
    cost = base * np.exp(rng.normal(0, 1, (n, J, T)) * sigma[:, :, None])
    sparse = rng.random(n) < 0.05
    cost[sparse] *= rng.random((sparse.sum(), J, T)) < 0.2
    typical = scale.copy()  # account's typical daily cost (growth aside)
    labels = []

    def add(**label) -> None:
        labels.append(label)

    kind_of = rng.choice(["none", *KINDS], n, p=[0.55, 0.15, 0.12, 0.08, 0.10])
    new_acct = (rng.random(n) < 0.04) & ~sparse
    kind_of[new_acct | sparse] = "none"
    for a in range(n):
        k = kind_of[a]
        if k == "none":
            continue
        d = int(rng.integers(120, T - 20))
        if k == "drop":
            j = int(np.argmax(w[a]))
            outage = rng.random() < 0.5
            stop = d + int(rng.integers(1, 4)) if outage else T
            impact = -cost[a, j, d:stop].mean()
            cost[a, j, d:stop] = 0.0
            add(account=a, service=j, kind="drop", start=d, end=stop, impact=impact,
                               window=stop - d + 1 if outage else 7)
            continue
        j = int(rng.integers(0, J))
        if k == "spike":
            length = int(rng.integers(1, 3))
            amt = rng.uniform(0.2, 3.0) * typical[a] * np.exp(growth[a] * d)
            cost[a, j, d:d + length] += amt
            add(account=a, service=j, kind=k, start=d, end=d + length, impact=amt,
                               window=length + 1)
        elif k == "level-shift":
            amt = rng.uniform(0.2, 1.0) * typical[a] * np.exp(growth[a] * d)
            cost[a, j, d:] += amt * np.exp(growth[a] * (t[d:] - d))
            add(account=a, service=j, kind=k, start=d, end=T, impact=amt, window=7)
        else:  # drift
            ramp = int(rng.integers(21, 36))
            amt = rng.uniform(0.5, 1.0) * typical[a] * np.exp(growth[a] * d)
            cost[a, j, d:] += amt * np.clip((t[d:] - d + 1) / ramp, 0, 1)
            add(account=a, service=j, kind=k, start=d, end=min(T, d + ramp), impact=amt,
                               window=ramp + 14)
    for a in np.flatnonzero(new_acct):
        d = int(rng.integers(150, T - 20))
        cost[a, :, :d] = 0.0
        add(account=a, service=int(np.argmax(w[a])), kind="new-spend", start=d, end=T,
                           impact=float(typical[a] * np.exp(growth[a] * d)), window=7)
    # month-start support fees and credits (unlabelled)
    extra = np.zeros((n, 2, T))
    has_fee = rng.random(n) < 0.30
    ms = np.asarray(dates.day == 1)
    fee = rng.uniform(3, 10, n) * scale
    extra[has_fee, 0] = np.where(ms, fee[has_fee, None], 0.0)
    has_credit = rng.random(n) < 0.10
    for a in np.flatnonzero(has_credit):
        for d in rng.choice(np.arange(60, T), 3, replace=False):
            extra[a, 1, d] = -rng.uniform(0.3, 3.0) * scale[a]
    if new_acct.any():
        first = {lab["account"]: lab["start"] for lab in labels if lab["kind"] == "new-spend"}
        for a, d in first.items():
            extra[a, :, :d] = 0.0
    full = np.concatenate([cost, extra], axis=1)  # n x 7 x T
    a_idx, j_idx, t_idx = np.nonzero(full)
    names = np.array([f"svc{j}" for j in range(J)] + ["support", "credits"])
    detail = pd.DataFrame({"date": dates[t_idx], "account": np.char.add("acct", a_idx.astype(str)),
                           "service": names[j_idx], "cost": full[a_idx, j_idx, t_idx]})
    lab = pd.DataFrame(labels)
    lab["account"] = "acct" + lab["account"].astype(str)
    lab["service"] = names[lab["service"].to_numpy()]
    lab["typical"] = [typical[int(a[4:])] * np.exp(growth[int(a[4:])] * s)
                      for a, s in zip(lab["account"], lab["start"])]
    return detail, lab, dates


COUNTRIES = ("US", "GB", "DE", "FR", "JP", "IN", "BR", "AU")
PATTERNS = ("holiday", "month-start", "growth")


def _year_end_dip(rng: np.random.Generator, dates: pd.DatetimeIndex, J: int) -> np.ndarray:
    """J x T factors of one account's year-end dips: 10-20 % (per service x0.5-1.5), from 17-23 Dec to 1-5 Jan,
    deeper on 24-26 Dec and 31 Dec-1 Jan, half on the first and last day."""
    out = np.ones((J, len(dates)))
    for year in sorted(set(dates.year)):
        start = pd.Timestamp(year, 12, int(rng.integers(17, 24)))
        end = pd.Timestamp(year + 1, 1, int(rng.integers(1, 6)))
        depth = rng.uniform(0.10, 0.20) * rng.uniform(0.5, 1.5, J)
        inside = np.flatnonzero((dates >= start) & (dates <= end))
        if not len(inside):
            continue
        when = dates[inside]
        peak = ((when.month == 12) & when.day.isin([24, 25, 26, 31])) | ((when.month == 1) & (when.day == 1))
        profile = np.where(peak, rng.uniform(1.0, 1.4), 1.0)
        profile[[0, -1]] *= 0.5
        out[:, inside] *= 1 - np.minimum(depth[:, None] * profile[None, :], 0.35)
    return out


def _public_dips(rng: np.random.Generator, dates: pd.DatetimeIndex, country: str, J: int) -> np.ndarray:
    """J x T factors of one account's public-holiday dips: 5-25 % on the day, half of it on the next day (30 %
    of holidays) or the day before (15 %); holidays from 17 Dec to 6 Jan are left to the year-end dip."""
    out = np.ones((J, len(dates)))
    index = {d: i for i, d in enumerate(dates.date)}
    for day in holiday_library.country_holidays(country, years=sorted(set(dates.year))):
        i = index.get(day)
        if i is None or (day.month == 12 and day.day >= 17) or (day.month == 1 and day.day <= 6):
            continue
        depth = rng.uniform(0.05, 0.25) * rng.uniform(0.5, 1.5, J)
        out[:, i] *= 1 - depth
        if rng.random() < 0.30 and i + 1 < len(dates):
            out[:, i + 1] *= 1 - depth / 2
        if rng.random() < 0.15 and i > 0:
            out[:, i - 1] *= 1 - depth / 2
    return out


def _month_totals(usage: np.ndarray, dates: pd.DatetimeIndex) -> dict[pd.Period, np.ndarray]:
    """Total usage per calendar month (the last axis is days)."""
    months = dates.to_period("M")
    return {m: usage[..., np.asarray(months == m)].sum(axis=-1) for m in months.unique()}


def generate_patterns(n: int = 500, days: int = 540, seed: int = 2):
    """The new data set (see the module docstring): holiday dips, month-start charges after level changes,
    steady growth, and real events inside them. Returns (detail, labels, dates, accounts)."""
    rng = np.random.default_rng(seed)
    T, J = days, 5
    dates = pd.date_range("2024-10-01", periods=T, freq="D")
    t = np.arange(T)
    weekend = np.asarray(dates.day_of_week >= 5)
    country = rng.choice(COUNTRIES, n)
    pattern = rng.choice(PATTERNS, n)
    scale = np.exp(rng.normal(np.log(600), 1.2, n))
    w = rng.dirichlet(np.ones(J) * 1.5, n)
    main = np.argmax(w, axis=1)
    wk = rng.uniform(0.5, 1.0, (n, J))
    sigma = rng.uniform(0.03, 0.08, (n, J))
    rate = np.log1p(rng.uniform(-0.01, 0.03, (n, 1))) / 30.44 * np.ones((n, J))  # per day
    steady = np.log1p(rng.uniform(0.5, 0.8, n)) / 365
    whole = rng.random(n) < 0.5
    for a in np.flatnonzero(pattern == "growth"):
        rate[a, :] = steady[a] if whole[a] else rate[a, :]
        rate[a, main[a]] = steady[a]
    wander = rng.uniform(0.001, 0.004, (n, 1, 1)) * rng.normal(0, 1, (n, J, T))
    level = scale[:, None, None] * w[:, :, None] * np.exp(rate[:, :, None] * t + np.cumsum(wander, axis=2))
    base = level * np.where(weekend, wk[:, :, None], 1.0)
    cost = base * np.exp(rng.normal(0, 1, (n, J, T)) * sigma[:, :, None])
    year_end = (pattern == "holiday") | (rng.random(n) < 0.6)
    public = (pattern == "holiday") | (rng.random(n) < 0.4)
    dip = np.ones((n, J, T))
    for a in range(n):
        if year_end[a]:
            dip[a] *= _year_end_dip(rng, dates, J)
        if public[a]:
            dip[a] *= _public_dips(rng, dates, str(country[a]), J)
    cost *= dip
    typical = level.sum(axis=1)  # n x T: the account's usage level, weekends and holidays aside
    labels = []

    def add(**label) -> None:
        labels.append(label)

    hol_days = {c: {d for d in holiday_library.country_holidays(c, years=sorted(set(dates.year)))}
                for c in COUNTRIES}
    month_starts = np.flatnonzero(np.asarray(dates.day == 1))

    def spike(a: int, d: int, context: str, j: int | None = None) -> None:
        j = int(rng.integers(0, J)) if j is None else j
        length = int(rng.integers(1, 3))
        amt = rng.uniform(0.2, 3.0) * typical[a, d]
        cost[a, j, d:d + length] += amt
        add(account=a, service=j, kind="spike", start=d, end=d + length, impact=amt,
                           window=length + 1, context=context)

    def shift(a: int, d: int, context: str) -> None:
        j = int(rng.integers(0, J))
        amt = rng.uniform(0.2, 1.0) * typical[a, d]
        cost[a, j, d:] += amt * (typical[a, d:] / typical[a, d]) * dip[a, j, d:]
        add(account=a, service=j, kind="level-shift", start=d, end=T, impact=amt, window=7,
                           context=context)

    def drop(a: int, d: int, context: str, outage: bool) -> None:
        j = int(main[a])
        stop = d + int(rng.integers(1, 4)) if outage else T
        impact = -cost[a, j, d:stop].mean()
        cost[a, j, d:stop] = 0.0
        add(account=a, service=j, kind="drop", start=d, end=stop, impact=impact,
                           window=stop - d + 1 if outage else 7, context=context)

    def drift(a: int, d: int, context: str) -> None:
        j = int(rng.integers(0, J))
        ramp = int(rng.integers(21, 36))
        amt = rng.uniform(0.5, 1.0) * typical[a, d]
        cost[a, j, d:] += amt * np.clip((t[d:] - d + 1) / ramp, 0, 1) * (typical[a, d:] / typical[a, d])
        add(account=a, service=j, kind="drift", start=d, end=min(T, d + ramp), impact=amt,
                           window=ramp + 14, context=context)

    def event(a: int, d: int, context: str, kinds: list[str]) -> None:
        kind = rng.choice(kinds)
        if kind == "spike":
            spike(a, d, context)
        elif kind == "level-shift":
            shift(a, d, context)
        elif kind == "drift":
            drift(a, d, context)
        else:
            drop(a, d, context, outage=kind == "outage")
        if kind in ("level-shift", "lasting-drop") and dip[a, :, d].min() < 1:
            # a lasting change that begins while usage dips can only be told from the dip once it ends
            off = np.flatnonzero(dip[a, :, d:].min(axis=0) >= 1)
            end = d + int(off[0]) if len(off) else T
            labels[-1]["window"] = max(labels[-1]["window"], end - d + 7)
            labels[-1]["found_by"] = end + 7

    charges = {}  # account -> list of (name, kind, share or amount)
    for a in range(n):
        p = pattern[a]
        if p == "holiday" and rng.random() < 0.7:
            if rng.random() < 0.7:  # inside a year-end dip
                inside = np.flatnonzero((dip[a].min(axis=0) < 1) & (dates.month.isin([12, 1])) & (t >= 60))
            else:
                inside = np.array([i for i, d in enumerate(dates.date) if d in hol_days[country[a]] and i >= 60])
            if len(inside):
                event(a, int(rng.choice(inside)), "holiday", ["spike", "outage", "lasting-drop", "level-shift"])
        elif p == "month-start":
            kinds = [str(k) for k in rng.choice(["fixed", "share-1", "share-2"], int(rng.integers(1, 3)),
                                                replace=False)]
            charges[a] = kinds if set(kinds) - {"fixed"} else [*kinds, "share-1"]
            d = int(rng.integers(90, T - 75))
            event(a, d, "month-start", ["level-shift", "level-shift", "lasting-drop"])
            if rng.random() < 0.35:  # a real one-off purchase on one of the next two month starts
                m = int(rng.choice(month_starts[month_starts > d][:2]))
                amt = rng.uniform(2.0, 5.0) * typical[a, m]
                add(account=a, service=J + 3, kind="spike", start=m, end=m + 1, impact=amt,
                                   window=2, context="month-start")
        elif p == "growth" and rng.random() < 0.7:
            event(a, int(rng.integers(150, T - 20)), "growth",
                  ["spike", "outage", "lasting-drop", "level-shift", "drift"])
        if a not in charges and rng.random() < 0.4:
            charges[a] = [str(rng.choice(["fixed", "share-1", "share-2"]))]
    # month-start charges, from the usage as billed (holidays, events and all)
    extra = np.zeros((n, 4, T))  # licence (fixed), support (share of last month), commitment (2 months back),
    usage_months = _month_totals(cost.sum(axis=1), dates)           # purchase (labelled one-offs)
    main_months = _month_totals(cost[np.arange(n), main], dates)
    months = dates.to_period("M")
    for a, kinds in charges.items():
        fixed = rng.uniform(1.0, 6.0) * scale[a]
        share1, share2 = rng.uniform(0.03, 0.10), rng.uniform(0.05, 0.20)
        for m in month_starts:
            this = months[m]  # months before the data: as its first month
            if "fixed" in kinds:
                extra[a, 0, m] = fixed
            if "share-1" in kinds:
                extra[a, 1, m] = share1 * usage_months.get(this - 1, usage_months[months[0]])[a]
            if "share-2" in kinds:
                extra[a, 2, m] = share2 * main_months.get(this - 2, main_months[months[0]])[a]
    for lab in labels:
        if lab["service"] == J + 3:
            extra[lab["account"], 3, lab["start"]] = lab["impact"]
    full = np.concatenate([cost, extra], axis=1)  # n x 9 x T
    a_idx, j_idx, t_idx = np.nonzero(full)
    names = np.array([f"svc{j}" for j in range(J)] + ["licence", "support", "commitment", "purchase"])
    detail = pd.DataFrame({"date": dates[t_idx], "account": np.char.add("acct", a_idx.astype(str)),
                           "service": names[j_idx], "cost": full[a_idx, j_idx, t_idx]})
    lab = pd.DataFrame(labels)
    lab["typical"] = typical[lab["account"].to_numpy(), lab["start"].to_numpy()]
    lab["account"] = "acct" + lab["account"].astype(str)
    lab["service"] = names[lab["service"].to_numpy()]
    accounts = pd.DataFrame({"account": [f"acct{a}" for a in range(n)], "country": country, "pattern": pattern,
                             "charges": [",".join(charges.get(a, [])) for a in range(n)]})
    return detail, lab, dates, accounts


def score(events: pd.DataFrame, lab: pd.DataFrame, dates: pd.DatetimeIndex):
    day = {d: i for i, d in enumerate(dates)}
    ev = events.assign(s=events["start"].map(day), e=events["end"].map(day))
    by_acct = {a: g for a, g in lab.groupby("account")}
    tp = 0
    for row in ev.itertuples():
        g = by_acct.get(row.account)
        if g is not None and ((row.s <= g["start"] + g["window"]) & (row.e >= g["start"] - 1)).any():
            tp += 1
    precision = tp / len(ev) if len(ev) else 1.0
    material = lab[lab["impact"].abs() >= 0.2 * lab["typical"]]
    found, first_flag = 0, {}
    ev_by = {a: g for a, g in ev.groupby("account")}
    for row in material.itertuples():
        g = ev_by.get(row.account)
        if g is None:
            continue
        hi = row.end + 7 if row.kind == "drift" else row.start + 3
        hi = max(hi, int(getattr(row, "found_by", hi) if np.isfinite(getattr(row, "found_by", np.nan)) else hi))
        hit = g[(g["s"] >= row.start - 1) & (g["s"] <= hi)]
        if len(hit):
            found += 1
            first = hit.sort_values("s").iloc[0]
            first_flag[row.Index] = (int(first["s"]), first["kind"])
    recall = found / len(material) if len(material) else 1.0
    return precision, recall, len(ev), tp, len(material), found, first_flag


def root_causes(detail: pd.DataFrame, lab: pd.DataFrame, dates: pd.DatetimeIndex, first_flag: dict,
                holidays_of: dict[str, list]) -> pd.Series:
    """Per found labelled anomaly: whether explain_anomaly ranks the injected service (new account: the account)
    first, on the account's 140 days up to the anomaly's first day (drift: first flagged day, as a drift)."""
    out = {}
    by_account = dict(tuple(detail.groupby("account")))
    for idx, (day_i, kind) in first_flag.items():
        row = lab.loc[idx]
        day = dates[max(day_i, int(row["start"]))]
        rows = by_account[row["account"]]
        window = rows[(rows["date"] > day - pd.Timedelta(days=140)) & (rows["date"] <= day)]
        why = explain_anomaly(window, day, ["account", "service"], against="drift" if kind == "drift" else "day",
                              holidays=holidays_of[row["account"]])
        top = why.iloc[0]
        out[idx] = bool(top["account"] == row["account"]
                        and (row["kind"] == "new-spend" or top["service"] == row["service"]))
    return pd.Series(out, dtype=bool)


def evaluate(detail: pd.DataFrame, lab: pd.DataFrame, dates: pd.DatetimeIndex, country_of: pd.Series,
             sensitivity: float) -> dict:
    """Detect on each account's usage (one call per holiday country, as one workspace would), then score."""
    usage = detail[detail["service"] != "credits"]
    daily = usage.groupby(["date", "account"], as_index=False)["cost"].sum()
    calendars = {c: HolidaySettings(country=c).days(dates[0], dates[-1]) for c in country_of.unique()}
    t0 = time.perf_counter()
    found = pd.concat([detect_anomalies(daily[daily["account"].isin(accts.index)], "account",
                                        sensitivity=sensitivity, holidays=calendars[c])
                       for c, accts in country_of.groupby(country_of)], ignore_index=True)
    detect_s = time.perf_counter() - t0
    events = group_events(found, "account")
    precision, recall, n_ev, tp, n_mat, n_found, first_flag = score(events, lab, dates)
    t0 = time.perf_counter()
    hits = root_causes(detail, lab, dates, first_flag, {a: calendars[c] for a, c in country_of.items()})
    explain_s = time.perf_counter() - t0
    material = lab[lab["impact"].abs() >= 0.2 * lab["typical"]]
    per_kind = {kind: round(sum(i in first_flag for i in g.index) / len(g), 3) for kind, g in material.groupby("kind")}
    return {"events": events, "first_flag": first_flag, "hits": hits, "precision": precision, "recall": recall,
            "n_events": n_ev, "tp": tp, "material": n_mat, "found": n_found, "recall_per_kind": per_kind,
            "root_cause_top1": float(hits.mean()) if len(hits) else 1.0, "detect_s": detect_s,
            "explain_s": explain_s, "series": daily["account"].nunique()}


def pattern_days(accounts: pd.DataFrame, dates: pd.DatetimeIndex) -> dict[str, dict[str, set]]:
    """Per pattern, per account built around it, the days where the pattern acts (indices of `dates`): holidays
    (15 Dec-8 Jan and the country's public holidays, +-2 days), month starts (+-1 day) from day 90, every day of
    a growing account."""
    index = {d: i for i, d in enumerate(dates.date)}
    years = sorted(set(dates.year))
    out: dict[str, dict[str, set]] = {p: {} for p in PATTERNS}
    year_end = {i for i, d in enumerate(dates) if (d.month == 12 and d.day >= 15) or (d.month == 1 and d.day <= 8)}
    month_start = {i + o for i in np.flatnonzero(np.asarray(dates.day == 1)) if i >= 90 for o in (-1, 0, 1)}
    public = {c: {index[d] + o for d in holiday_library.country_holidays(c, years=years) if d in index
                  for o in range(-2, 3)} for c in accounts["country"].unique()}
    for row in accounts.itertuples():
        days = {"holiday": year_end | public[row.country], "month-start": month_start,
                "growth": set(range(len(dates)))}[row.pattern]
        out[row.pattern][row.account] = days
    return out


def by_pattern(result: dict, lab: pd.DataFrame, accounts: pd.DataFrame, dates: pd.DatetimeIndex) -> dict:
    """Precision of the events that start on a pattern's days of the accounts built around it, recall and
    root cause of the labelled anomalies placed inside the pattern."""
    events = result["events"]
    day = {d: i for i, d in enumerate(dates)}
    out = {}
    for pattern, days_of in pattern_days(accounts, dates).items():
        ev = events[[day[s] in days_of.get(a, ()) for a, s in zip(events["account"], events["start"])]]
        precision, *_ = score(ev, lab, dates)
        inside = lab[(lab["context"] == pattern) & (lab["impact"].abs() >= 0.2 * lab["typical"])]
        found = [i for i in inside.index if i in result["first_flag"]]
        hits = result["hits"].reindex(found)
        out[pattern] = {"events": len(ev), "precision": round(precision, 3), "anomalies": len(inside),
                        "recall": round(len(found) / len(inside), 3) if len(inside) else 1.0,
                        "root_cause_top1": round(float(hits.mean()), 3) if len(hits) else 1.0}
    return out


def _line(name: str, r: dict) -> str:
    return (f"{name}: events {r['n_events']}, true {r['tp']} -> precision {r['precision']:.3f}; material anomalies "
            f"found {r['found']}/{r['material']} -> recall {r['recall']:.3f} {r['recall_per_kind']}; root-cause "
            f"top-1 {r['root_cause_top1']:.3f} ({r['explain_s']:.1f}s); detect {r['detect_s']:.2f}s for "
            f"{r['series']} series x {r['days']} days")


def _summary(r: dict) -> dict:
    return {"precision": round(r["precision"], 3), "recall": round(r["recall"], 3),
            "root_cause_top1": round(r["root_cause_top1"], 3), "detect_seconds": round(r["detect_s"], 2),
            "events": r["n_events"], "material_anomalies": r["material"], "recall_per_kind": r["recall_per_kind"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=500)
    ap.add_argument("--days", type=int, default=540)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sensitivity", type=float, default=0.5)
    args = ap.parse_args()
    t0 = time.perf_counter()
    detail, lab, dates = generate(args.series, args.days, args.seed)
    new_detail, new_lab, new_dates, accounts = generate_patterns(args.series, args.days, args.seed + 1)
    gen_s = time.perf_counter() - t0
    us = pd.Series("US", index=pd.Index(sorted(detail["account"].unique())))
    old = evaluate(detail, lab, dates, us, args.sensitivity) | {"days": len(dates)}
    net = detail.groupby(["date", "account"], as_index=False)["cost"].sum()
    net_found = detect_anomalies(net, "account", sensitivity=args.sensitivity,
                                 holidays=HolidaySettings().days(dates[0], dates[-1]))
    net_precision = score(group_events(net_found, "account"), lab, dates)[0]
    new = evaluate(new_detail, new_lab, new_dates, accounts.set_index("account")["country"],
                   args.sensitivity) | {"days": len(new_dates)}
    patterns = by_pattern(new, new_lab, accounts, new_dates)
    print(f"series={args.series} days={args.days} seed={args.seed} (new data: seed {args.seed + 1}) "
          f"detail rows {len(detail)} + {len(new_detail)}, generated in {gen_s:.1f}s")
    print(f"old data, labelled: {lab['kind'].value_counts().to_dict()}; new data, labelled: "
          f"{new_lab['kind'].value_counts().to_dict()}, by pattern {new_lab['context'].value_counts().to_dict()}")
    print(_line("old data (US calendar)", old))
    print(f"old data, precision on net cost incl. credits: {net_precision:.3f}")
    print(_line("new data (each account's country calendar)", new))
    for pattern, r in patterns.items():
        print(f"  {pattern}: events on its days {r['events']} -> precision {r['precision']:.3f}; anomalies inside "
              f"{r['anomalies']} -> recall {r['recall']:.3f}; root-cause top-1 {r['root_cause_top1']:.3f}")
    print(json.dumps({"series": args.series, "days": args.days, "seed": args.seed, "sensitivity": args.sensitivity,
                      "old": _summary(old) | {"precision_net_with_credits": round(net_precision, 3)},
                      "new": _summary(new), "new_patterns": patterns}))


if __name__ == "__main__":
    main()
