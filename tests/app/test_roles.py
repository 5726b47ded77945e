"""What each role may do on every page that changes something (AppTest with `at.user` set as Streamlit's OIDC
sign-in would): a viewer gets no Save, Delete, Import or Restore control and a caption saying so, the content
still readable; editors and admins keep every control; an editor of one account creates budgets and scenarios
only inside it, and sees neither other teams' budgets and scenarios nor the allocation rules; a refused save
changes nothing on disk; an allowed one is in the audit trail under the user's email. A viewer of one account
finds no other account's name in any table, chart or KPI of the visibility pages."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pytest
import yaml
from openpyxl import load_workbook

from analysis.budgets.store import BudgetStore
from tests.app.conftest import CheckedAppTest, app_test, button
from tests.app.test_sign_in import AUTH

MINE, THEIRS = "prod-payments", "data-platform"
ACCESS = f"""default_role: none
grants:
  - who: {{group: finops-admins}}
    role: admin
  - who: {{email: ed@example.com}}
    role: editor
  - who: {{email: sam@example.com}}
    role: editor
    scope: {{SubAccountName: {MINE}}}
  - who: {{email: vic@example.com}}
    role: viewer
  - who: {{email: carol@example.com}}
    role: viewer
    scope: {{SubAccountName: {MINE}}}
"""
BUDGETS = f"""budgets:
- name: Payments run
  scope: {{SubAccountName: {MINE}}}
  period: month
  amount: 111111
- name: Data platform plan
  scope: {{SubAccountName: {THEIRS}}}
  period: month
  amount: 987654
- name: Company
  period: month
  amount: 5555555
"""
SCENARIOS = {"payments-growth.yaml": f"""name: Payments growth
months: 6
levers:
- {{kind: growth, scope: {{SubAccountName: {MINE}}}, percent: 20, from: 2026-12}}
""", "data-platform-cut.yaml": f"""name: Data platform cut
months: 6
levers:
- {{kind: remove, scope: {{SubAccountName: {THEIRS}}}, from: 2027-01}}
"""}

ADMIN = {"email": "dana@example.com", "groups": ["finops-admins"]}
EDITOR = {"email": "ed@example.com"}
SCOPED_EDITOR = {"email": "sam@example.com"}
VIEWER = {"email": "vic@example.com"}
SCOPED_VIEWER = {"email": "carol@example.com"}

PAGES = {"allocation": "../pages/allocation.py", "tags": "../pages/tags.py", "budgets": "../pages/budgets.py",
         "scenarios": "../pages/scenarios.py", "anomalies": "../pages/anomalies.py"}
# The control that changes something on each page (present for editors and admins, absent for viewers).
CONTROLS = {"allocation": "Save rules", "tags": "Save policy", "budgets": "Save budget",
            "scenarios": "Save scenario", "anomalies": "Save triage"}
EDITING = {"Save rules", "Reload from disk", "Apply table to the rules", "Check and save metric table", "Restore",
           "Save policy", "Save budget", "Delete budget", "Use this amount", "Save triage", "Save scenario",
           "Delete scenario"}


@pytest.fixture
def roles(sample_cache, tmp_path, monkeypatch):
    """`run(user, page)`: the app signed in as `user` on `page`; the workspace holds the access file, three
    budgets (with a saved older version), two scenarios of two teams."""
    workspace = tmp_path / "workspace"
    (workspace / "scenarios").mkdir(parents=True)
    (workspace / "access.yaml").write_text(ACCESS)
    store = BudgetStore(workspace)
    store.save(BUDGETS.replace("111111", "100000"), store.read()[1])
    store.save(BUDGETS, store.read()[1])  # the first text is now a saved version: Restore has something to offer
    for name, text in SCENARIOS.items():
        (workspace / "scenarios" / name).write_text(text)
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(sample_cache.root))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(workspace))

    def run(user: dict, page: str):
        at = app_test()
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email_verified": True} | user
        at.run()
        return at.switch_page(PAGES.get(page, page)).run()

    return run, workspace


def _labels(at) -> set[str]:
    return {b.label for b in at.button}


def _captions(at) -> str:
    return " ".join(c.value.replace("\\", "") for c in at.caption)


def _audit(workspace) -> list[dict]:
    return [json.loads(line) for line in (workspace / "audit.jsonl").read_text().splitlines()]


def _texts(at, pickers: bool = True) -> set[str]:
    """Every value a user can read in the page's tables, charts, KPIs and (unless not `pickers`) pickers."""
    seen: set[str] = set()
    for frame in at.dataframe:
        value = frame.value
        seen |= {str(v) for column in value.columns for v in value[column].tolist()} | {str(c) for c in value.columns}
        seen |= {str(v) for v in value.index.tolist()}
    for chart in at.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            table = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
            seen |= {str(v) for column in table.columns for v in table[column].tolist()}
    for m in at.metric:
        seen |= {m.label, str(m.value), str(m.delta)}
    for widget in [*at.selectbox, *at.multiselect] if pickers else ():
        seen |= {str(o) for o in widget.options}
    return seen


@pytest.mark.parametrize("page", PAGES)
def test_a_viewer_reads_every_page_but_gets_no_control_that_changes_it(roles, page):
    run, _ = roles
    at = run(VIEWER, page)
    assert not _labels(at) & EDITING and not any(label.startswith("Save ") for label in _labels(at))
    assert not at.get("file_uploader") and not at.text_area  # no rules editor, upload, triage comment
    assert "Read only: your role (viewer) may not" in _captions(at)
    readable = {  # the content stays: the rules, the policy, the budgets, the levers, the triage status
        "allocation": lambda: "dimensions:" in at.code[0].value,
        "tags": lambda: any("Every resource must carry these tag keys" in m.value for m in at.markdown),
        "budgets": lambda: set(at.dataframe[0].value["name"]) == {"Payments run", "Data platform plan", "Company"},
        "scenarios": lambda: at.selectbox(key="sc_read").options == ["Data platform cut", "Payments growth"],
        "anomalies": lambda: any(m.value.startswith("Status: **new**") for m in at.markdown),
    }
    assert readable[page]()


@pytest.mark.parametrize("user", [EDITOR, ADMIN], ids=["editor", "admin"])
@pytest.mark.parametrize("page", PAGES)
def test_editors_and_admins_keep_every_control(roles, user, page):
    run, _ = roles
    at = run(user, page)
    assert CONTROLS[page] in _labels(at)
    assert "Read only" not in _captions(at)
    if page == "budgets":
        assert "Restore" in _labels(at) and at.get("file_uploader")


def test_an_editor_s_save_is_recorded_under_their_email(roles):
    run, workspace = roles
    at = run(EDITOR, "budgets")
    at.text_input(key="bu_f_name").input("Storefront")
    at.text_input(key="bu_f_scope").input("SubAccountName=prod-storefront")
    at.number_input(key="bu_f_amount").set_value(42000)
    button(at, "Save budget").click().run()
    saved = yaml.safe_load((workspace / "budgets.yaml").read_text())["budgets"]
    assert [b["name"] for b in saved] == ["Payments run", "Data platform plan", "Company", "Storefront"]
    last = _audit(workspace)[-1]
    assert (last["who"], last["action"], last["target"], last["ok"]) == ("ed@example.com", "save", "budgets.yaml", True)
    assert last["before"] != last["after"]


def test_a_form_drawn_for_an_editor_saves_nothing_once_they_are_a_viewer(roles):
    run, workspace = roles
    at = run(EDITOR, "budgets")
    before = (workspace / "budgets.yaml").read_text()
    at.text_input(key="bu_f_name").input("Late")
    at.number_input(key="bu_f_amount").set_value(1000)
    (workspace / "access.yaml").write_text(ACCESS.replace("email: ed@example.com}\n    role: editor",
                                                          "email: ed@example.com}\n    role: viewer"))
    button(at, "Save budget").click().run()  # the click of a form the page no longer offers
    assert (workspace / "budgets.yaml").read_text() == before
    assert "Read only: your role (viewer) may not create, change or delete budgets" in _captions(at)
    assert not [e for e in _audit(workspace) if e["who"] == "ed@example.com" and e["ok"]]


def _refusing_save():
    import streamlit as st

    from analysis.store.audit import as_user, audit_to
    from app.door import current_access, workspace
    from app.permits import refused

    with audit_to(workspace()), as_user(current_access().who):  # as the app's entry point does
        if not refused("edit", "create, change or delete budgets", "budgets.yaml"):
            st.write("saved")


@pytest.mark.parametrize(("user", "saved"), [(VIEWER, False), (EDITOR, True)], ids=["viewer", "editor"])
def test_the_check_right_before_a_save_refuses_a_viewer_and_records_it(roles, user, saved):
    _, workspace = roles
    at = CheckedAppTest.from_function(_refusing_save, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email_verified": True} | user
    at.run()
    refusals = [e for e in _audit(workspace) if e["action"] == "refused"]
    if saved:
        assert at.markdown[0].value == "saved" and not at.error and not refusals
    else:
        assert "Not saved: your role (viewer) may not create, change or delete budgets" in at.error[0].value
        assert [(e["who"], e["target"], e["ok"]) for e in refusals] == [("vic@example.com", "budgets.yaml", False)]


def test_a_scoped_editor_sees_and_saves_only_budgets_inside_their_scope(roles):
    run, workspace = roles
    at = run(SCOPED_EDITOR, "budgets")
    assert list(at.dataframe[0].value["name"]) == ["Payments run"]
    assert at.selectbox(key="bu_edit").options == ["(new budget)", "Payments run"]
    seen = _texts(at) | {m.value for m in at.markdown} | {c.value for c in at.caption}
    assert not [t for t in seen if "Data platform plan" in t or "Company" in t or "987,654" in t or "987654" in t or "5,555" in t]
    before = (workspace / "budgets.yaml").read_text()

    at.text_input(key="bu_f_name").input("Not mine")
    at.text_input(key="bu_f_scope").input(f"SubAccountName={THEIRS}")
    at.number_input(key="bu_f_amount").set_value(1000)
    button(at, "Save budget").click().run()
    assert "budget 'Not mine', field scope: Sub-account: data-platform is not inside what you may see" in \
        at.error[0].value.replace("\\", "")
    at.text_input(key="bu_f_scope").input("")  # the whole bill is not inside one account either
    button(at, "Save budget").click().run()
    assert "field scope: Whole bill is not inside" in at.error[0].value.replace("\\", "")
    assert (workspace / "budgets.yaml").read_text() == before

    at.text_input(key="bu_f_name").input("Payments compute")
    at.text_input(key="bu_f_scope").input(f"SubAccountName={MINE}; ServiceCategory=Compute")
    button(at, "Save budget").click().run()
    saved = yaml.safe_load((workspace / "budgets.yaml").read_text())["budgets"]
    assert [b["name"] for b in saved] == ["Payments run", "Data platform plan", "Company", "Payments compute"]
    assert (_audit(workspace)[-1]["who"], _audit(workspace)[-1]["ok"]) == ("sam@example.com", True)
    assert list(at.dataframe[0].value["name"]) == ["Payments run", "Payments compute"]


def test_a_scoped_editor_builds_scenarios_only_inside_their_scope(roles):
    run, workspace = roles
    at = run(SCOPED_EDITOR, "scenarios")
    assert at.multiselect(key="sc_compare").options == ["Payments growth"]
    assert at.selectbox(key="sc_budget").options == ["(none)", "Payments run"]
    assert at.selectbox(key="sc_edit").options == ["(new scenario)", "Payments growth"]
    at.text_input[0].input("Everything up")  # a new scenario starts with growth on the whole bill
    button(at, "Save scenario").click().run()
    assert "lever 1 (growth), field scope: Whole bill is not inside what you may see" in \
        at.error[0].value.replace("\\", "")
    assert sorted(p.name for p in (workspace / "scenarios").iterdir()) == sorted(SCENARIOS)

    at.selectbox(key="sc_edit").select("Payments growth").run()
    at.text_input[0].input("Payments growth fast")
    button(at, "Save scenario").click().run()
    assert "Saved scenario 'Payments growth fast'." in at.success[0].value
    assert (workspace / "scenarios" / "data-platform-cut.yaml").read_text() == SCENARIOS["data-platform-cut.yaml"]
    assert _audit(workspace)[-1]["who"] == "sam@example.com"


@pytest.mark.parametrize("page", ["allocation", "tags"])
def test_a_scoped_editor_changes_neither_the_rules_nor_the_tag_policy(roles, page):
    run, _ = roles
    at = run(SCOPED_EDITOR, page)
    assert not _labels(at) & EDITING
    assert "Read only: you may not change the" in _captions(at)
    assert "your access covers Sub-account: prod-payments, not the whole bill" in _captions(at)
    if page == "allocation":  # the rules name every team's accounts: not shown, only their effect on mine
        assert not at.code and "only those who see the whole bill" in at.info[0].value


def test_a_scoped_viewer_s_finance_pack_holds_only_their_budgets(roles, downloads):
    run, _ = roles
    at = run(SCOPED_VIEWER, "../pages/reports.py")
    at.text_input(key="rp_scope").input("")
    button(at, "Make the finance pack").click().run()
    (name,) = [n for n in downloads if n.startswith("finance_pack")]
    book = load_workbook(io.BytesIO(downloads[name]))
    cells = {str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None}
    assert "Payments run" in cells and not {"Data platform plan", "Company", THEIRS} & cells
    admin = run(ADMIN, "../pages/reports.py")
    button(admin, "Make the finance pack").click().run()
    book = load_workbook(io.BytesIO(downloads[name]))
    assert {"Payments run", "Data platform plan", "Company"} <= {str(c.value) for c in book["Budgets"]["A"]}


def test_a_scoped_viewer_finds_no_other_account_on_the_visibility_pages(roles, sample_frame):
    run, _ = roles
    others = set(sample_frame["SubAccountName"].unique()) - {MINE}
    at = run(SCOPED_VIEWER, "../pages/overview.py")
    seen, shown = {"overview": _texts(at)}, {"overview": _texts(at, pickers=False)}
    at.switch_page("../pages/explore.py").run()
    at.selectbox(key="x_by").select("SubAccountName").run()
    seen["explore"], shown["explore"] = _texts(at), _texts(at, pickers=False)
    at.switch_page("../pages/anomalies.py").run()
    at.selectbox(key="an_level").select("SubAccountName")
    at.slider(key="an_sens").set_value(0.6)  # at 0.5, with the default holiday calendar, it has no event in range
    button(at, "Scan").click().run()
    seen["anomalies"], shown["anomalies"] = _texts(at), _texts(at, pickers=False)
    at.switch_page("../pages/forecast.py").run()
    at.selectbox(key="fc_dimension").select("SubAccountName")
    button(at, "Forecast").click().run()
    seen["forecast"], shown["forecast"] = _texts(at), _texts(at, pickers=False)
    for page, texts in seen.items():
        assert not texts & others, (page, texts & others)
    # the tables and charts did show accounts (the user's own), so the check above had something to find
    assert all(MINE in shown[page] for page in ("explore", "anomalies", "forecast")), \
        {page: MINE in texts for page, texts in shown.items()}


@pytest.mark.parametrize("page", ["tags", "showback", "budgets", "scenarios", "reports", "allocation", "optimization"])
def test_a_scoped_viewer_finds_no_other_account_on_the_other_pages(roles, sample_frame, page):
    run, _ = roles
    others = set(sample_frame["SubAccountName"].unique()) - {MINE}
    at = run(SCOPED_VIEWER, f"../pages/{page}.py")
    assert not at.exception
    assert not _texts(at) & others, _texts(at) & others
