"""The Budgets page's editing panels: create, edit, delete, propose from history, import and export a sheet."""

from __future__ import annotations

import calendar
import datetime as dt

import streamlit as st

from analysis.budgets.model import Budget, BudgetError, validate_budget
from analysis.budgets.sheet import DEFAULT_ALERTS, merge, read_sheet, sheet_budgets, sheet_csv, sheet_xlsx
from analysis.budgets.store import BudgetStore, replaced, without
from analysis.dimensions import ROLLUP_DIMENSIONS
from analysis.scope import ScopeError, parse_scope, scope_text
from analysis.store.workspace import WorkspaceConflict, WorkspaceWriteError
from app.door import proposed_budget, scope_problems
from app.permits import can, cannot, outside, refused, sees
from app.ui import md, money

NEW = "(new budget)"
MONTHS = list(range(1, 13))
WHAT = "create, change or delete budgets"
FIELDS = ("name", "scope", "metric", "period", "fy", "amount", "planned", "on_actual", "on_forecast", "owner")


def _save(store: BudgetStore, budgets: list[Budget], done: str) -> None:
    """Save the list against the version this page showed; say so, or why not (nothing saved for a user who
    may not change budgets, as when the form was drawn for a role they no longer have)."""
    if refused("edit", WHAT, store.path.name):
        return
    try:
        st.session_state["bu_token"] = store.save_budgets(budgets, st.session_state["bu_token"])
    except WorkspaceConflict:
        st.error("Someone saved the budgets since this page was shown: your change was not saved. "
                 "The list now shows their version; make your change again.")
    except (BudgetError, WorkspaceWriteError) as error:
        st.error(md(error))
    else:
        st.session_state["bu_done"] = done
        st.rerun()


def _fill(budget: Budget | None) -> None:
    """Put a budget's fields (or a new budget's defaults) into the form's widgets."""
    b = budget or Budget(name="new", amount=0, alerts=DEFAULT_ALERTS)
    values = {"name": budget.name if budget else "", "scope": scope_text(b.scope), "metric": b.metric,
              "period": b.period, "fy": b.fiscal_year_start, "amount": b.amount,
              "planned": "\n".join(f"{k}: {v:g}" for k, v in b.amounts.items()),
              "on_actual": ", ".join(f"{a.percent:g}" for a in b.alerts if a.on == "actual"),
              "on_forecast": ", ".join(f"{a.percent:g}" for a in b.alerts if a.on == "forecast"), "owner": b.owner}
    for field in FIELDS:
        st.session_state[f"bu_f_{field}"] = values[field]


def _fields() -> dict:
    """The form's widgets as budget fields; BudgetError names the field that cannot be read."""
    get = lambda field: st.session_state[f"bu_f_{field}"]
    try:
        scope = parse_scope(get("scope"))
    except ScopeError as error:
        raise BudgetError(f"field scope: {error}") from None
    planned = {}
    for line in filter(None, (x.strip() for x in get("planned").splitlines())):
        key, _, amount = line.partition(":")
        try:
            planned[key.strip()] = float(amount.replace(",", ""))
        except ValueError:
            raise BudgetError(f"field planned amounts: {line!r} is not written 'period key: amount'") from None
    alerts = []
    for on in ("actual", "forecast"):
        for part in filter(None, (x.strip().rstrip("%") for x in get(f"on_{on}").split(","))):
            try:
                alerts.append({on: float(part)})
            except ValueError:
                raise BudgetError(f"field alerts on {on}: {part!r} is not a percent") from None
    return {"name": get("name"), "scope": scope, "metric": get("metric"), "period": get("period"),
            "fiscal_year_start": get("fy"), "amount": get("amount"), "amounts": planned, "alerts": alerts,
            "owner": get("owner")}


def editor(store: BudgetStore, budgets: list[Budget], view, as_of: dt.date, dimensions: tuple[str, ...]) -> None:
    """Pick a budget the user may see (or a new one), edit it in a form, save or delete it; propose an amount
    from history. `budgets` is the whole file: a save keeps the budgets the user may not see."""
    if "bu_done" in st.session_state:
        st.success(st.session_state.pop("bu_done"), icon=":material/check_circle:")
    if not can("edit"):
        cannot("edit", WHAT)
        return
    names = [NEW, *(b.name for b in budgets if sees(b.scope))]
    if "bu_pending_pick" in st.session_state:  # a budget just saved: edit it next
        st.session_state["bu_edit"] = st.session_state.pop("bu_pending_pick")
    if st.session_state.get("bu_edit") not in names:
        st.session_state["bu_edit"] = NEW
    picked = st.selectbox("Budget", names, key="bu_edit")
    if st.session_state.get("bu_filled") != picked or "bu_f_name" not in st.session_state:
        _fill(next((b for b in budgets if b.name == picked), None))
        st.session_state["bu_filled"] = picked
    if "bu_pending_amount" in st.session_state:  # a proposal the user accepted
        st.session_state["bu_f_amount"] = st.session_state.pop("bu_pending_amount")
    with st.container(border=True):  # not a form: the proposal below reads the fields as they are typed
        c1, c2 = st.columns([1, 2])
        c1.text_input("Name", key="bu_f_name", max_chars=200)
        c2.text_input("Scope", key="bu_f_scope", placeholder="empty: the whole bill",
                      help="dimension=value; dimension=value|value — keys combine with AND, values after | with OR. "
                           f"Dimensions: {', '.join(ROLLUP_DIMENSIONS)}, tag:<key>, "
                           + (", ".join(f"alloc:{d}" for d in dimensions) or "alloc:<allocation dimension>"))
        c1, c2, c3, c4 = st.columns(4)
        c1.selectbox("Metric", ["EffectiveCost", "BilledCost"], key="bu_f_metric",
                     format_func=lambda m: {"EffectiveCost": "Effective cost (amortized)", "BilledCost": "Billed cost"}[m])
        c2.selectbox("Period", ["month", "quarter", "year"], key="bu_f_period", format_func=str.capitalize)
        c3.selectbox("Fiscal year starts", MONTHS, key="bu_f_fy", format_func=lambda m: calendar.month_name[m])
        c4.number_input(f"Amount per period ({view.currency or 'USD'})", min_value=0.0, step=1000.0, key="bu_f_amount",
                        help="The amount of every period; planned amounts below replace it for their periods.")
        st.text_area("Planned amounts (optional), one per line", key="bu_f_planned", height=90,
                     placeholder="2027-01: 120000   (quarters: 2027-Q1, years: FY2027)")
        c1, c2, c3 = st.columns(3)
        c1.text_input("Alert when actual reaches (% of amount)", key="bu_f_on_actual", placeholder="80, 100")
        c2.text_input("Alert when the forecast reaches (% of amount)", key="bu_f_on_forecast", placeholder="100")
        c3.text_input("Owner to notify", key="bu_f_owner", placeholder="team-leads@example.com")
        if st.button("Save budget", icon=":material/save:", type="primary"):
            try:
                budget = validate_budget(_fields(), "budget")
                reason = outside(budget.scope)
                problems = [reason] if reason else scope_problems(budget.scope, dimensions)
                if problems:
                    raise BudgetError(f"budget {budget.name!r}, field scope: " + "; ".join(problems))
                changed = replaced(budgets, budget, None if picked == NEW else picked)
            except BudgetError as error:
                st.error(md(error))
            else:
                st.session_state["bu_filled"] = None
                st.session_state["bu_pending_pick"] = budget.name
                _save(store, changed, f"Saved budget {budget.name!r}.")
    if picked != NEW:
        left, right = st.columns([3, 1])
        sure = left.checkbox(f"Yes, delete {picked!r} (a saved version is kept)", key="bu_sure")
        if right.button("Delete budget", icon=":material/delete:", disabled=not sure):
            _save(store, without(budgets, picked), f"Deleted budget {picked!r}.")
    _proposal(view, as_of)


def _proposal(view, as_of: dt.date) -> None:
    """Propose the amount from history for the form's scope, metric and period."""
    with st.expander("Propose the amount from history"):
        c1, c2 = st.columns(2)
        months = c1.slider("Average of the last complete months", 1, 12, 3, key="bu_p_months")
        growth = c2.number_input("Plus growth (%)", -100.0, 1000.0, 0.0, step=1.0, key="bu_p_growth")
        try:
            scope = parse_scope(st.session_state["bu_f_scope"])
            period = st.session_state["bu_f_period"]
            amount, used = proposed_budget(scope, st.session_state["bu_f_metric"], period, as_of, months, growth,
                                           view.currency)
        except (ScopeError, ValueError) as error:
            st.caption(f"No proposal: {md(error)}")
            return
        months_used = ", ".join(f"{m:%b %Y} ({money(c, view.currency)})"
                                for m, c in zip(used["month"], used["cost"], strict=True))
        per = {"month": "", "quarter": ", times 3 months", "year": ", times 12 months"}[period]
        st.markdown(f"Proposed amount per {period}: **{money(amount, view.currency)}**: the monthly average of "
                    f"{months_used}{f', plus {growth:g}%' if growth else ''}{per}. It uses the scope, metric and "
                    "period in the fields above.")
        if st.button("Use this amount", key="bu_p_use"):
            st.session_state["bu_pending_amount"] = float(amount)
            st.rerun()


def sheet_panel(store: BudgetStore, budgets: list[Budget], dimensions: tuple[str, ...]) -> None:
    """Export the budgets as a sheet; import one with a preview and row-numbered errors before saving."""
    hidden = {b.name.casefold() for b in budgets if not sees(b.scope)}
    c1, c2 = st.columns(2)
    c1.download_button("Download the sheet (CSV)", sheet_csv([b for b in budgets if sees(b.scope)]), "budgets.csv", "text/csv",
                       icon=":material/download:")
    c2.download_button("Download the sheet (.xlsx)", sheet_xlsx([b for b in budgets if sees(b.scope)]), "budgets.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/download:")
    st.caption("Columns: name, scope (dimension=value; dimension=value|value), metric, period, fiscal_year_start, "
               "period_key (empty: every period; 2027-01, 2027-Q1 or FY2027), amount, owner — one row per budget "
               "and period. Budgets in the sheet replace those of the same name; others are kept.")
    if not can("edit"):
        cannot("edit", "import budgets")
        return
    upload = st.file_uploader("Import a sheet (CSV or .xlsx)", type=["csv", "xlsx"], key="bu_upload")
    if upload is None:
        return
    try:
        imported = sheet_budgets(read_sheet(upload.name, upload.getvalue()), budgets, upload.name)
        problems = [f"budget {b.name!r}, field scope: {p}" for b in imported for p in [outside(b.scope)] if p]
        problems += [f"budget {b.name!r}, field name: another budget has this name; choose another"
                     for b in imported if b.name.casefold() in hidden]
        if problems:
            raise BudgetError(f"{upload.name}: " + "; ".join(problems))
        problems = [f"{b.name!r}: {p}" for b in imported for p in scope_problems(b.scope, dimensions)]
        if problems:
            raise BudgetError(f"{upload.name}: unknown scope in budget " + "; ".join(problems))
    except BudgetError as error:
        st.error(md(error).replace("\n", "  \n"))
        return
    merged, changes = merge(budgets, imported)
    st.dataframe(changes, hide_index=True, column_config={"name": "Budget", "change": "On import"})
    if st.button(f"Save {len(imported)} imported budget{'s' if len(imported) != 1 else ''}", type="primary"):
        _save(store, merged, f"Imported {len(imported)} budget{'s' if len(imported) != 1 else ''} from {upload.name}.")

