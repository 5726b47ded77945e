"""The Optimization page's widgets: the assumptions behind the estimates, the ranked list and one
opportunity's drill-down, from which a lever goes to the Scenarios page."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from analysis.optimize.opportunities import Assumptions, Found, Opportunity
from analysis.scope import parse_scope
from app.permits import can, cannot
from app.ui import md, money, money_column

KINDS = {"unused_commitment": "Unused commitment", "commitment": "New commitment",
         "schedule": "Schedule non-production", "idle": "Idle resource", "previous_generation": "Previous generation"}
AUTO = "(automatic: env, environment or stage)"


def assumptions(tag_keys: list[str]) -> Assumptions:
    """The editable assumptions, kept for the session; the defaults lean low."""
    d = Assumptions()
    with st.expander("Assumptions behind the estimates", icon=":material/tune:"):
        c1, c2, c3, c4 = st.columns(4)
        lookback = c1.number_input("Days read", 7, 120, d.lookback_days, key="op_lookback",
                                   help="Every estimate reads this many days before the range's end.")
        discount = c2.number_input("New commitment discount (%)", 1.0, 80.0, d.commitment_discount * 100, 1.0,
                                   key="op_discount", help="What a new commitment would take off on-demand cost.")
        percentile = c3.number_input("Commit to the spend exceeded on (% of days)", 50.0, 100.0,
                                     100 - d.commitment_percentile, 5.0, key="op_cover_days",
                                     help="Higher is safer: the level is a lower percentile of daily spend.")
        idle_days = c4.number_input("Idle for (days)", 1, 30, d.idle_days, key="op_idle")
        c1, c2, c3, c4 = st.columns(4)
        tags = [AUTO, *tag_keys]
        env = c1.selectbox("Environment tag", tags, key="op_env", help="The tag that says prod, staging, dev…")
        prod = c2.text_input("Production values", ", ".join(d.production_values), key="op_prod",
                             help="Any other value of the tag is non-production (any case).")
        hours = c3.number_input("Scheduled hours a week", 0.0, 168.0, d.scheduled_hours, 4.0, key="op_hours",
                                help="What a scheduled resource still runs (60: 12 hours on 5 weekdays).")
        gap = c4.number_input("Current-generation saving (%)", 0.0, 60.0, d.generation_saving * 100, 1.0,
                              key="op_gap")
    values = tuple(v.strip() for v in prod.split(",") if v.strip()) or d.production_values
    return dataclasses.replace(d, lookback_days=int(lookback), commitment_discount=discount / 100,
                               commitment_percentile=100 - percentile, idle_days=min(int(idle_days), int(lookback)),
                               environment_tag=None if env == AUTO else env, production_values=values,
                               scheduled_hours=hours, generation_saving=gap / 100)


def ranked(found: Found) -> pd.DataFrame:
    """The ranked list as the page shows and downloads it."""
    table = found.table()
    return pd.DataFrame({"Opportunity": table["title"], "Kind": table["kind"].map(KINDS),
                         "Monthly savings": table["monthly_savings"], "Risk": table["risk"].fillna(""),
                         "Scope": table["scope"], "Method": table["method"]})


def drill_down(found: Found, currency: str | None) -> None:
    """One opportunity: its method, risk, what is behind it and, for an editor, Send to Scenarios."""
    titles = [o.title for o in found.opportunities]
    picked = st.selectbox("Opportunity", range(len(titles)), format_func=lambda i: titles[i], key="op_pick")
    o = found.opportunities[picked]
    c1, c2 = st.columns([1, 3])
    c1.metric("Monthly savings", money(o.monthly_savings, currency), border=True)
    with c2:
        st.markdown(f"**Method.** {md(o.method)}")
        if o.risk:
            st.markdown(f"**Risk.** {md(o.risk)}")
    behind = o.behind[[*(c for c in o.behind.columns if c != "ResourceId"),
                       *(["ResourceId"] if "ResourceId" in o.behind else [])]]  # the long id last
    behind = behind.rename(columns=lambda c: c if c[:1].isupper() else c.replace("_", " ").capitalize())
    st.dataframe(behind, hide_index=True, width="stretch", column_config={
        c: money_column(c, currency) for c in behind.columns
        if c.endswith(("cost", "savings", "level", "on demand", "cover"))})
    _send(o)


def _send(o: Opportunity) -> None:
    if o.lever is None:
        st.caption("This opportunity is not a lever on the bill's forecast (a commitment's idle part is already "
                   "paid for), so it is not sent to Scenarios.")
        return
    if not can("edit", parse_scope(o.lever["scope"])):
        cannot("edit", "scenarios for this scope")
        return
    if st.button("Send to Scenarios", icon=":material/alt_route:", key="op_send",
                 help="Opens a new scenario on the Scenarios page with this lever filled in, to review and save."):
        st.session_state["sc_incoming"] = {"name": f"Optimization: {o.title}"[:120], "months": 12,
                                           "levers": [o.lever]}
        st.switch_page("../pages/scenarios.py")
