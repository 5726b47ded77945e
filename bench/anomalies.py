"""Anomaly-detection benchmark: `python -m bench.anomalies [--series 500 --days 540 --seed 1]`.

Generates labelled synthetic billing data: `series` sub-accounts x `days` days, each account made of
5 services (plus, for some, a support fee and credits), detects anomalies on the daily cost per account
at the default sensitivity, and prints event-level precision and recall, root-cause top-1 accuracy and
runtime. The last printed line is one JSON object.

Data (all amounts money per day):
* account scale: lognormal, typical daily cost ~20 to ~20,000; 5 services with Dirichlet weights; per
  service a weekend factor in [0.5, 1], per account a growth in [-1 %, +5 %] per month, multiplicative
  noise with sigma 3-8 % per service.
* unlabelled tricky patterns (must not be flagged): weekends; growth; month-start support fees on 30 % of
  accounts (3-10 x the daily cost on day 1 of each month, in service "support"); credits on 10 % of
  accounts (service "credits", negative, 0.3-3 x the daily cost, on 3 random days; detection runs on
  usage, i.e. without the "credits" service, as documented in analysis/anomalies.py; precision on the
  net cost with credits is printed too); sparse accounts (5 %: each service charges on ~20 % of days).
* labelled anomalies, one per account on 45 % of accounts, starting on a day in [120, days - 20]:
  spike (1-2 days, +20 % to +300 % of the account's daily cost, on one service), level-shift (+20 % to
  +100 % from then on), drift (a linear ramp to +50 % to +100 % over 21-35 days, then held), drop
  (the account's largest service, >= 20 % of its cost, stops for good, or for 1-3 days: outage);
  new-spend: 4 % of accounts
  exist only from a day in [150, days - 20].
* scoring: predicted events = group_events of the flagged days per account. An event is a true positive
  when it overlaps a labelled anomaly's window (spike, outage: its days + 1; lasting level-shift or drop:
  7 days from the start; drift: ramp + 14 days; new-spend: 7 days), so a re-flag of a change that should
  have been learned counts as a false positive. Recall counts labelled anomalies whose daily
  impact is >= 20 % of the account's typical daily cost, found when an event starts in [start - 1,
  start + 3] (drift: [start, ramp end + 7]). Root cause, for each found anomaly: explain_anomaly by
  (account, service) on the detail of the flagged account (its 140 days up to the day), on the anomaly's
  first day (drift: the day the detector first flagged it, with against="drift" when the detector called
  it a drift); correct when the top row is the injected service (for a new account: the account;
  ranking all accounts' combinations at once would mostly measure the noise of the largest).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from analysis.anomalies import detect_anomalies, explain_anomaly, group_events

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
        hit = g[(g["s"] >= row.start - 1) & (g["s"] <= hi)]
        if len(hit):
            found += 1
            first = hit.sort_values("s").iloc[0]
            first_flag[row.Index] = (int(first["s"]), first["kind"])
    recall = found / len(material) if len(material) else 1.0
    return precision, recall, len(ev), tp, len(material), found, first_flag


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=500)
    ap.add_argument("--days", type=int, default=540)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sensitivity", type=float, default=0.5)
    args = ap.parse_args()
    t0 = time.perf_counter()
    detail, lab, dates = generate(args.series, args.days, args.seed)
    gen_s = time.perf_counter() - t0
    usage = detail[detail["service"] != "credits"]
    daily = usage.groupby(["date", "account"], as_index=False)["cost"].sum()
    t0 = time.perf_counter()
    found = detect_anomalies(daily, "account", sensitivity=args.sensitivity)
    detect_s = time.perf_counter() - t0
    events = group_events(found, "account")
    precision, recall, n_ev, tp, n_mat, n_found, first_flag = score(events, lab, dates)
    net = detail.groupby(["date", "account"], as_index=False)["cost"].sum()
    net_events = group_events(detect_anomalies(net, "account", sensitivity=args.sensitivity), "account")
    net_precision = score(net_events, lab, dates)[0]
    # root cause: account x service on the first flagged day
    t0 = time.perf_counter()
    hits = tried = 0
    for idx, (day_i, kind) in first_flag.items():
        row = lab.loc[idx]
        day = dates[max(day_i, int(row["start"]))]
        window = detail[(detail["account"] == row["account"])
                        & (detail["date"] > day - pd.Timedelta(days=140)) & (detail["date"] <= day)]
        why = explain_anomaly(window, day, ["account", "service"],
                              against="drift" if kind == "drift" else "day")
        tried += 1
        top = why.iloc[0]
        # a new account is new as a whole: its root cause is the account, whichever service is largest
        hits += bool(top["account"] == row["account"]
                     and (row["kind"] == "new-spend" or top["service"] == row["service"]))
    explain_s = time.perf_counter() - t0
    top1 = hits / tried if tried else 1.0
    print(f"series={args.series} days={args.days} seed={args.seed} detail_rows={len(detail)} "
          f"generate={gen_s:.1f}s")
    print(f"labelled anomalies: {len(lab)} ({lab['kind'].value_counts().to_dict()}), material: {n_mat}")
    print(f"events predicted: {n_ev}, true positives: {tp} -> precision {precision:.3f}")
    print(f"material anomalies found: {n_found}/{n_mat} -> recall {recall:.3f}")
    per_kind = {}
    mat = lab[lab["impact"].abs() >= 0.2 * lab["typical"]]
    for kind, g in mat.groupby("kind"):
        per_kind[kind] = round(sum(i in first_flag for i in g.index) / len(g), 3)
    print(f"recall per kind: {per_kind}")
    print(f"precision on net cost incl. credits: {net_precision:.3f}")
    print(f"root-cause top-1: {hits}/{tried} = {top1:.3f} ({explain_s:.1f}s)")
    print(f"detect runtime: {detect_s:.2f}s for {daily['account'].nunique()} series x {len(dates)} days")
    print(json.dumps({"series": args.series, "days": args.days, "seed": args.seed,
                      "precision": round(precision, 3), "recall": round(recall, 3),
                      "precision_net_with_credits": round(net_precision, 3), "recall_per_kind": per_kind,
                      "root_cause_top1": round(top1, 3), "detect_seconds": round(detect_s, 2),
                      "events": n_ev, "material_anomalies": n_mat}))


if __name__ == "__main__":
    main()
