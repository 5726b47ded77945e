"""The Access and Audit pages (admins only) under AppTest: access.yaml edited with every refusal named, a
preview of the app as another user, and the audit trail of what was done."""

import pytest

from analysis.access.store import AccessStore
from app.ui import money
from tests.app.conftest import AS_OF, app_test, button, in_range
from tests.conftest import SAMPLE_END

ACCOUNT = "SubAccountName"


@pytest.fixture
def admin(sample_cache, tmp_path, monkeypatch):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(sample_cache.root))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(workspace))
    at = app_test().run()
    return at.switch_page("../pages/access.py").run(), workspace


def test_access_is_saved_validated_and_audited(admin, sample_frame):
    at, workspace = admin
    assert not at.exception and at.title[0].value == "Access"
    at.text_area[0].set_value("grants:\n  - who: {email: carol@example.com}\n    role: viewer\n").run()
    button(at, "Save access").click().run()
    assert "would leave no admin" in at.error[0].value.replace("\\", "") or "admin" in at.error[0].value
    assert not (workspace / "access.yaml").exists()
    account = sample_frame[ACCOUNT].value_counts().index[0]
    text = (f"grants:\n  - who: {{group: finops-admins}}\n    role: admin\n  - who: {{email: carol@example.com}}\n"
            f"    role: viewer\n    scope: {{{ACCOUNT}: \"{account}\"}}\n")
    at.text_area[0].set_value(text).run()
    button(at, "Save access").click().run()
    assert not at.exception
    saved, _ = AccessStore(workspace).access()
    assert [g.role for g in saved.grants] == ["admin", "viewer"]
    audit = at.switch_page("../pages/audit.py").run()
    assert not audit.exception
    table = next(d.value for d in audit.dataframe if "who" in d.value.columns)
    assert list(table["action"]) == ["access change", "access change"]
    assert list(table["ok"]) == ["yes", "no"] and set(table["who"]) == {"operator"}


def test_an_admin_views_the_app_as_a_scoped_viewer_and_stops(admin, sample_frame):
    at, workspace = admin
    account = sample_frame[ACCOUNT].value_counts().index[1]
    (workspace / "access.yaml").write_text(
        f"grants:\n  - who: {{group: finops-admins}}\n    role: admin\n  - who: {{email: carol@example.com}}\n"
        f"    role: viewer\n    scope: {{{ACCOUNT}: \"{account}\"}}\n")
    at = at.run()
    at.text_input[0].set_value("carol@example.com")
    button(at, "View as this user").click().run()
    assert not at.exception
    overview = at.switch_page("../pages/overview.py").run()
    mine = in_range(sample_frame[sample_frame[ACCOUNT] == account], AS_OF.replace(day=1), SAMPLE_END)
    assert next(m for m in overview.metric if m.label == "Month to date").value == money(float(mine["EffectiveCost"].sum()))
    assert any("Viewing as carol@example.com (viewer)" in w.value.replace("\\", "").replace("\u2060", "")
               for w in overview.sidebar.warning)
    data = overview.switch_page("../pages/data.py").run()
    assert "Your role (viewer) may not" in data.error[0].value
    button(data, "Stop viewing as").click().run()
    back = data.switch_page("../pages/overview.py").run()
    whole = in_range(sample_frame, AS_OF.replace(day=1), SAMPLE_END)
    assert next(m for m in back.metric if m.label == "Month to date").value == money(float(whole["EffectiveCost"].sum()))


def test_the_saved_versions_name_who_saved_them(admin):
    from analysis.budgets.store import BudgetStore
    from analysis.store.audit import as_user, audit_to

    at, workspace = admin
    store = BudgetStore(workspace)
    with audit_to(workspace), as_user("bob@example.com"):
        store.save("budgets:\n  - name: Cloud\n    amount: 1000\n", store.read()[1])
    page = at.switch_page("../pages/budgets.py").run()
    assert not page.exception
    lines = [m.value.replace("\\", "").replace("\u2060", "") for m in page.markdown if m.value.startswith("Saved ")]
    assert lines and lines[0].startswith("Saved ") and " by bob@example.com · " in lines[0]
