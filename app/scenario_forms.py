"""The Scenarios page's builder: a scenario's name and months, its levers as an editable table, save and delete."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analysis.scenarios.model import (
    KINDS,
    MAX_MONTHS,
    Scenario,
    ScenarioError,
    lever_label,
    validate_scenario,
)
from analysis.scenarios.store import ScenarioStore
from analysis.scope import ScopeError, parse_scope, scope_text
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError, token
from app.door import scope_problems
from app.permits import can, cannot, outside, refused, sees
from app.ui import md

NEW = "(new scenario)"
WHAT = "create, change or delete scenarios"
COLUMNS = ("kind", "scope", "from", "percent", "monthly", "provider", "service", "to_provider", "to_service",
           "price_ratio", "discount", "term_months", "compound")
NUMBERS = ("percent", "monthly", "price_ratio", "discount", "term_months")
EXAMPLE = "ServiceCategory=Compute; ProviderName=AWS|Microsoft"


def lever_rows(scenario: Scenario | None, first_month: str) -> pd.DataFrame:
    """A scenario's levers as table rows (one growth row to start a new scenario from)."""
    rows = []
    for lever in scenario.levers if scenario else ():
        fields = lever.model_dump(by_alias=True)
        rows.append({**{c: fields.get(c) for c in COLUMNS}, "scope": scope_text(lever.scope),
                     "compound": fields.get("compound") == "monthly"})
    if scenario is None:
        rows.append({"kind": "growth", "scope": "", "from": first_month, "percent": 10.0, "compound": False})
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame[list(NUMBERS)] = frame[list(NUMBERS)].astype(float)
    frame["compound"] = frame["compound"].fillna(False).astype(bool)
    return frame.astype({c: "string" for c in ("kind", "scope", "from", "provider", "service", "to_provider",
                                                "to_service")})


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == ""


def rows_to_levers(rows: pd.DataFrame) -> list[dict]:
    """Table rows as lever fields: empty cells left out (pandas gives NaN for them), scope cells parsed."""
    levers = []
    for number, row in enumerate(rows.to_dict("records"), start=1):
        if all(_missing(v) or v is False for v in row.values()):
            continue
        fields = {k: v for k, v in row.items() if not _missing(v) and k != "compound"}
        if row.get("compound"):
            fields["compound"] = "monthly"
        try:
            fields["scope"] = parse_scope(fields.get("scope", ""))
        except ScopeError as error:
            raise ScenarioError(f"lever {number} ({fields.get('kind')}), field scope: {error}") from None
        if "term_months" in fields:
            fields["term_months"] = int(fields["term_months"])
        levers.append(fields)
    return levers


def visible(scenario: Scenario) -> bool:
    """True when every lever's scope lies inside the user's scopes (else the scenario is another team's)."""
    return all(sees(lever.scope) for lever in scenario.levers)


def builder(store: ScenarioStore, saved: list[tuple[Scenario, str]], first_month: str,
            dimensions: tuple[str, ...]) -> None:
    """Pick a scenario (or a new one), edit its levers, save or delete it; read them only, for a viewer."""
    if "sc_done" in st.session_state:
        st.success(st.session_state.pop("sc_done"), icon=":material/check_circle:")
    if not can("edit"):
        cannot("edit", WHAT)
        if saved:
            picked = st.selectbox("Levers of", [s.name for s, _ in saved], key="sc_read")
            scenario = next(s for s, _ in saved if s.name == picked)
            st.dataframe(lever_rows(scenario, first_month).dropna(axis=1, how="all"), hide_index=True,
                         width="stretch")
        return
    names = [NEW, *(s.name for s, _ in saved)]
    if "sc_pending_pick" in st.session_state:
        st.session_state["sc_edit"] = st.session_state.pop("sc_pending_pick")
    if "sc_incoming" in st.session_state:  # a lever sent from the Optimization page: a new scenario to review
        st.session_state["sc_draft"] = st.session_state.pop("sc_incoming")
        st.session_state["sc_edit"] = NEW
        st.toast("The lever from Optimization is in a new scenario under Build or edit a scenario: review it, "
                 "then save.", icon=":material/savings:")
        st.session_state.pop(f"sc_levers_{NEW}", None)
    if st.session_state.get("sc_edit") not in names:
        st.session_state["sc_edit"] = NEW
    picked = st.selectbox("Scenario", names, key="sc_edit")
    scenario, seen = next(((s, t) for s, t in saved if s.name == picked), (None, token("")))
    if scenario is None and "sc_draft" in st.session_state:
        try:
            scenario = validate_scenario(st.session_state["sc_draft"], "scenario")
        except ScenarioError as error:
            st.error(md(error))
        else:
            st.info(f"New scenario from the Optimization page: {md(scenario.name)}. Review its lever, then save.",
                    icon=":material/savings:")
    with st.form(f"scenario_form_{picked}"):
        c1, c2, c3 = st.columns([3, 1, 1])
        name = c1.text_input("Name", scenario.name if scenario else "", max_chars=120)
        months = c2.number_input("Months", 1, MAX_MONTHS, scenario.months if scenario else 12)
        metric = c3.selectbox("Metric", ["EffectiveCost", "BilledCost"],
                              index=1 if scenario and scenario.metric == "BilledCost" else 0)
        rows = st.data_editor(
            lever_rows(scenario, first_month), num_rows="dynamic", width="stretch", key=f"sc_levers_{picked}",
            column_config={
                "kind": st.column_config.SelectboxColumn("Lever", options=KINDS, required=True),
                "scope": st.column_config.TextColumn("Scope", help=f"e.g. {EXAMPLE}; empty: the whole bill",
                                                     width="medium"),
                "from": st.column_config.TextColumn("From (YYYY-MM)", required=True),
                "percent": st.column_config.NumberColumn("%", help="growth, price_change: change; migrate, "
                                                         "commitment: share of the scope's cost"),
                "monthly": st.column_config.NumberColumn("Monthly", help="new_spend: amount a month"),
                "provider": st.column_config.TextColumn("Provider", help="new_spend"),
                "service": st.column_config.TextColumn("Service", help="new_spend"),
                "to_provider": st.column_config.TextColumn("To provider", help="migrate"),
                "to_service": st.column_config.TextColumn("To service", help="migrate"),
                "price_ratio": st.column_config.NumberColumn("Price ratio", help="migrate: new cost / old cost"),
                "discount": st.column_config.NumberColumn("Discount %", help="commitment"),
                "term_months": st.column_config.NumberColumn("Term (months)", help="commitment", step=1),
                "compound": st.column_config.CheckboxColumn("Compound", help="growth: compound monthly"),
            })
        st.caption(f"Levers apply in order, each from its month on. Scopes are written `{EXAMPLE}` (keys with "
                   "AND, values after | with OR). Growth 10 means 1.1x every month from then; new spend appears "
                   "under its provider and service; a commitment covers the eligible on-demand compute and "
                   "database usage of its scope and its fee is owed for the whole term.")
        if st.form_submit_button("Save scenario", icon=":material/save:", type="primary"):
            _save(store, {"name": name, "months": months, "metric": metric}, rows, picked, seen, first_month,
                  dimensions)
    if scenario is not None and picked != NEW:
        left, right = st.columns([3, 1])
        sure = left.checkbox(f"Yes, delete {picked!r} (its last version stays in the history)", key="sc_sure")
        if (right.button("Delete scenario", icon=":material/delete:", disabled=not sure)
                and not refused("edit", WHAT, f"scenario {picked}")):
            try:
                store.remove(picked, seen)
            except (WorkspaceConflict, WorkspaceWriteError) as error:
                st.error(md(error))
            else:
                st.session_state["sc_done"] = f"Deleted scenario {picked!r}."
                st.rerun()


def _save(store: ScenarioStore, fields: dict, rows: pd.DataFrame, picked: str, seen: str, first_month: str,
          dimensions: tuple[str, ...]) -> None:
    if refused("edit", WHAT, f"scenario {picked if picked != NEW else fields['name']}"):
        return
    try:
        scenario = validate_scenario({**fields, "levers": rows_to_levers(rows)}, "scenario")
        problems = [f"{lever_label(i, lever)}, field scope: {p}" for i, lever in enumerate(scenario.levers)
                    for p in [outside(lever.scope)] if p]
        problems = problems or [f"{lever_label(i, lever)}, field scope: {p}" for i, lever in
                                enumerate(scenario.levers) for p in scope_problems(lever.scope, dimensions)]
        problems += [f"{lever_label(i, lever)}, field from: {lever.start} is before the first month, {first_month}"
                     for i, lever in enumerate(scenario.levers) if lever.start < first_month]
        if problems:
            raise ScenarioError(f"scenario {scenario.name!r}, " + "; ".join(problems))
        store.save(scenario, seen, None if picked == NEW else picked)
    except (ScenarioError, WorkspaceConflict, WorkspaceWriteError) as error:
        st.error(md(error))
        return
    st.session_state["sc_done"] = f"Saved scenario {scenario.name!r}."
    st.session_state["sc_pending_pick"] = scenario.name
    st.session_state.pop("sc_draft", None)
    st.session_state.pop(f"sc_levers_{picked}", None)  # the saved levers are the table's rows from now on
    st.rerun()
