"""Optimization: commitment utilization, coverage and savings rate over time, and a ranked list of savings."""

import pandas as pd
import streamlit as st

from analysis.commitments.eligibility import ELIGIBLE_CATEGORIES
from analysis.dimensions import Dimension
from analysis.reports.excel import Chart
from app import charts, optimize_panels, workbook
from app.door import commitment_trend, commitment_view, opportunities, tag_keys, values
from app.ui import empty_state, md, money, money_column, page_view

view = page_view("Optimization")
cur = view.currency
st.caption("Commitment discounts (savings plans, reservations, committed use) and savings found in the bill "
           "alone, for the sidebar's range and filters. Every figure is computed from FOCUS columns; a figure "
           "that cannot be computed says why instead of showing zero.")

st.subheader("Commitments")
categories = sorted(set(values("ServiceCategory", view.filters)) | set(ELIGIBLE_CATEGORIES))
eligible = tuple(st.multiselect(
    "Service categories counted as commitment-eligible", categories, default=list(ELIGIBLE_CATEGORIES),
    key="op_eligible", help="FOCUS 1.2 has no eligibility column. Eligible usage is approximated as Usage priced "
    "Standard (on demand, not spot) in these service categories; Compute and Databases are what reservations and "
    "savings plans cover on every major cloud. The same rule sizes the Scenarios page's commitment lever."))
figures = commitment_view(view.filters, eligible)


def shown(figure, fmt: str) -> str:
    return "n/a" if figure.value is None else format(figure.value, fmt)


c1, c2, c3, c4 = st.columns(4)
basis = "quantity" if len(figures.commitments) and (figures.commitments["basis"] == "quantity").all() else "cost"
c1.metric("Utilization", shown(figures.utilization, ".1%"), border=True,
          help=figures.utilization.note + f". Per commitment: {basis}-based (see the table).")
c2.metric("Unused commitment cost", money(figures.unused_cost.value, cur), border=True,
          help=figures.unused_cost.note or "EffectiveCost of the Unused rows: paid for, not used.")
c3.metric("Coverage of eligible usage", shown(figures.coverage.share, ".1%"), border=True,
          help=f"Covered / (covered + eligible on demand), {figures.coverage.share.note}.")
c4.metric("Effective savings rate", shown(figures.savings_rate, ".2%"), border=True,
          help=figures.savings_rate.note or "")
for note in figures.notes:
    st.info(f"Not computed: {md(note)}", icon=":material/info:")

trend = commitment_trend(view.filters, eligible)
if trend[["utilization", "coverage", "savings_rate"]].notna().any().any():
    left, right = st.columns(2)
    long = trend.melt("month", ["utilization", "coverage", "savings_rate"], "series", "share").dropna()
    long["series"] = long["series"].map({"utilization": "Utilization", "coverage": "Coverage",
                                         "savings_rate": "Effective savings rate"})
    with left:
        st.markdown("**Utilization, coverage and effective savings rate by month**")
        st.altair_chart(charts.percent_lines(long), width="stretch")
    with right:
        st.markdown("**Unused commitment cost by month**")
        unused = figures.unused.merge(figures.commitments[["CommitmentDiscountId", "name"]], how="left")
        bars = pd.DataFrame({"period": pd.to_datetime(unused["month"]), "Commitment": unused["name"].fillna(
            unused["CommitmentDiscountId"]), "cost": unused["unused_cost"]})
        st.altair_chart(charts.stacked_bars(bars, "Commitment", cur, "month", height=260, last_day=view.last_day,
                                            legend="bottom"),
                        width="stretch")
table = pd.DataFrame()
if len(figures.commitments):
    c = figures.commitments
    table = pd.DataFrame({"Commitment": c["name"].fillna(c["CommitmentDiscountId"]), "Type": c["type"],
                          "Provider": c["provider"], "Basis": c["basis"], "Unit": c["unit"],
                          "Utilization": c["utilization"], "Used cost": c["used_cost"],
                          "Unused cost": c["unused_cost"]})
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "Utilization": st.column_config.ProgressColumn("Utilization", format="percent", min_value=0, max_value=1),
        "Used cost": money_column("Used cost", cur), "Unused cost": money_column("Unused cost", cur)})
rates = figures.savings.rename(columns={"month": "Month", "ProviderName": "Provider", "list_cost": "List cost",
                                        "contracted_cost": "Contracted cost", "effective_cost": "Effective cost",
                                        "negotiated_savings": "Negotiated savings",
                                        "commitment_savings": "Commitment savings", "total_savings": "Total savings",
                                        "savings_rate": "Savings rate", "note": "Note"}).drop(columns="rows")
with st.expander("Savings by month and provider: negotiated (List − Contracted), commitment (Contracted − "
                 "Effective), total and the effective savings rate, commitment purchases excluded"):
    st.dataframe(rates, hide_index=True, width="stretch", column_config={
        **{k: money_column(k, cur) for k in rates.columns if k.endswith(("cost", "savings"))},
        "Savings rate": st.column_config.NumberColumn("Savings rate", format="percent")})

st.subheader("Opportunities")
assume = optimize_panels.assumptions([Dimension.parse(k).name for k in tag_keys()])
with st.spinner("Looking for savings…"):
    found = opportunities(view.filters, assume)
start, end = found.window
st.caption(f"Read from {start:%d %b %Y} to {end - pd.Timedelta(days=1):%d %b %Y}; estimates are per average "
           "month (30.44 days), conservative, and each kind counts a resource once.")
for note in found.notes:
    st.info(f"Not looked for: {md(note)}", icon=":material/info:")
listed = optimize_panels.ranked(found)
if listed.empty:
    empty_state("No savings found in this range and scope with these assumptions.")
else:
    c1, c2, c3, _ = st.columns(4)
    c1.metric("Potential savings a month", money(float(listed["Monthly savings"].sum()), cur), border=True,
              help="The sum of the list: each resource and each day of on-demand spend is counted once.")
    c2.metric("Opportunities", f"{len(listed):,}", border=True)
    c3.metric("Largest", money(float(listed["Monthly savings"].iloc[0]), cur), border=True,
              help=found.opportunities[0].title)
    st.dataframe(listed.drop(columns="Method"), hide_index=True, width="stretch",
                 column_config={"Monthly savings": money_column("Monthly savings", cur)})
    optimize_panels.drill_down(found, cur)

by_month = trend.rename(columns={"month": "Month", "utilization": "Utilization", "unused_cost": "Unused cost",
                                 "coverage": "Coverage", "savings_rate": "Effective savings rate"})
workbook.download(view, "Optimization", [
    ("Commitments", table, workbook.money_spec(table, view, text=["Utilization"], percent=["Utilization"]), ()),
    ("By month", by_month, workbook.money_spec(by_month, view, percent=["Utilization", "Coverage",
                                                                         "Effective savings rate"]),
     [Chart("Utilization and coverage", "Month", ["Utilization", "Coverage"], "line", "share")]),
    ("Savings", rates, workbook.money_spec(rates, view, percent=["Savings rate"]), ()),
    ("Opportunities", listed, workbook.money_spec(listed, view), ())],
    kpis=[("Utilization", figures.utilization.value, "percent"), ("Unused commitment cost", figures.unused_cost.value,
          "money"), ("Coverage", figures.coverage.share.value, "percent"),
          ("Effective savings rate", figures.savings_rate.value, "percent")],
    extra=[("Eligible service categories", ", ".join(eligible)),
           ("Opportunities read", f"{start} to {end - pd.Timedelta(days=1):%Y-%m-%d} (last day included)")])
