"""FinOps Workbench: Streamlit entry point (router, page config, global filters)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` only puts app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st

from analysis.store.audit import as_user, audit_to
from app.door import engine_problem, workspace
from app.filters import sidebar
from app.sign_in import gate

st.set_page_config(page_title="FinOps Workbench", page_icon=":material/savings:", layout="wide")
access = gate()  # before the navigation: a signed-out or refused user sees no page list

PAGES = ROOT / "pages"
navigation = st.navigation(
    {
        "Visibility": [
            st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:", default=True),
            st.Page(PAGES / "explore.py", title="Explore", icon=":material/query_stats:"),
            st.Page(PAGES / "tags.py", title="Tags", icon=":material/sell:"),
            st.Page(PAGES / "anomalies.py", title="Anomalies", icon=":material/crisis_alert:"),
            st.Page(PAGES / "forecast.py", title="Forecast", icon=":material/trending_up:"),
            st.Page(PAGES / "optimization.py", title="Optimization", icon=":material/savings:"),
        ],
        "Allocation": [
            st.Page(PAGES / "allocation.py", title="Allocation rules", icon=":material/account_tree:"),
            st.Page(PAGES / "showback.py", title="Showback", icon=":material/groups:"),
        ],
        "Planning": [
            st.Page(PAGES / "budgets.py", title="Budgets", icon=":material/account_balance_wallet:"),
            st.Page(PAGES / "scenarios.py", title="Scenarios", icon=":material/alt_route:"),
            st.Page(PAGES / "reports.py", title="Reports", icon=":material/summarize:"),
        ],
        "Data": [
            st.Page(PAGES / "data.py", title="Data", icon=":material/database:"),
            st.Page(PAGES / "access.py", title="Access", icon=":material/admin_panel_settings:"),
            st.Page(PAGES / "audit.py", title="Audit", icon=":material/history:"),
        ],
    },
    expanded=True,  # every page listed, not "View more"
)
problem = engine_problem()
if problem:
    st.error(problem, icon=":material/cloud_off:")
    st.stop()
st.session_state["view"] = sidebar()
with audit_to(workspace()), as_user(access.who):  # every save of this run is recorded as this user's
    navigation.run()
