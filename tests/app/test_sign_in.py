"""Sign-in, roles and scoped views under AppTest (`at.user` set as Streamlit's OIDC sign-in would): a viewer
scoped to one account sees numbers equal to that account's rows and none of the whole bill's; a user without a
grant gets a plain refusal (recorded); an admin sees everything; pages beyond a role refuse plainly."""

import json

import pytest

from app.ui import money
from tests.access_files import write_scoped_access
from tests.app.conftest import AS_OF, app_test, in_range
from tests.conftest import SAMPLE_END

ACCOUNT = "SubAccountName"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "c" * 48, "client_id": "workbench",
        "client_secret": "not-a-real-secret", "server_metadata_url": "http://localhost:9/.well-known/openid-configuration"}


@pytest.fixture
def signed_in(sample_cache, sample_frame, tmp_path, monkeypatch):
    workspace = tmp_path / "workspace"
    account = write_scoped_access(workspace, sample_frame)
    monkeypatch.setenv("FINOPS_CACHE_DIR", str(sample_cache.root))
    monkeypatch.setenv("FINOPS_WORKSPACE", str(workspace))

    def run(user: dict, page: str | None = None, auth: dict = AUTH):
        at = app_test()
        at.secrets["auth"] = auth
        at.user = user
        at.run()
        return at.switch_page(page).run() if page else at

    return run, account, workspace


def _metric(at, label: str) -> str:
    return next(m for m in at.metric if m.label == label).value


def _mtd(frame) -> str:
    return money(float(in_range(frame, AS_OF.replace(day=1), SAMPLE_END)["EffectiveCost"].sum()))


def test_signed_out_users_see_only_the_sign_in_button(signed_in):
    run, _, _ = signed_in
    at = run({"is_logged_in": False})
    assert not at.exception and [b.label for b in at.button] == ["Sign in"] and not at.metric


def test_a_scoped_viewer_sees_their_account_and_not_the_whole_bill(signed_in, sample_frame):
    run, account, _ = signed_in
    at = run({"is_logged_in": True, "email": "carol@example.com", "email_verified": True, "name": "Carol"})
    assert not at.exception
    mine = sample_frame[sample_frame[ACCOUNT] == account]
    assert _metric(at, "Month to date") == _mtd(mine)
    assert _metric(at, "Month to date") != _mtd(sample_frame)
    assert any(c.value.replace("\\", "").replace("\u2060", "") ==
               "Signed in as carol@example.com · viewer · sees part of the bill" for c in at.sidebar.caption)
    options = at.sidebar.multiselect(key="f_account").options
    assert options == [account]  # the filters offer only what the user may see


def test_a_viewer_is_refused_the_data_page(signed_in):
    run, _, _ = signed_in
    at = run({"is_logged_in": True, "email": "carol@example.com", "email_verified": True}, "../pages/data.py")
    assert not at.exception
    assert "Your role (viewer) may not see or change the loaded sources" in at.error[0].value.replace("\\", "")
    assert not at.metric and not [b for b in at.button if b.label in ("Sync now", "Validate and load")]


def test_an_unverified_address_or_a_user_without_a_grant_is_refused_and_recorded(signed_in, sample_frame):
    run, _, workspace = signed_in
    at = run({"is_logged_in": True, "email": "carol@example.com", "email_verified": False})
    assert at.title[0].value == "No access" and not at.metric
    at = run({"is_logged_in": True, "email": "mallory@example.com", "email_verified": True})
    assert at.title[0].value == "No access"
    entries = [json.loads(line) for line in (workspace / "audit.jsonl").read_text().splitlines()]
    assert [(e["who"], e["action"], e["ok"]) for e in entries] == [
        ("carol@example.com (unverified)", "sign-in refused", False),
        ("mallory@example.com", "sign-in refused", False)]


def test_an_admin_by_group_sees_the_whole_bill_and_the_data_page(signed_in, sample_frame):
    run, _, _ = signed_in
    user = {"is_logged_in": True, "email": "dana@example.com", "email_verified": True, "groups": ["finops-admins"]}
    at = run(user)
    assert _metric(at, "Month to date") == _mtd(sample_frame)
    data = run(user, "../pages/data.py")
    assert not data.exception and _metric(data, "Rows") == f"{len(sample_frame):,}"


def test_a_weak_cookie_secret_is_refused(signed_in):
    run, _, _ = signed_in
    at = run({"is_logged_in": True, "email": "carol@example.com", "email_verified": True},
             auth=AUTH | {"cookie_secret": "too-short"})
    assert "without a strong cookie secret" in at.error[0].value and not at.metric


def test_a_scoped_viewer_sees_showback_of_their_rows_without_naming_errors(signed_in):
    run, _, _ = signed_in
    at = run({"is_logged_in": True, "email": "carol@example.com", "email_verified": True}, "../pages/showback.py")
    assert not at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    assert at.dataframe, "the showback table is shown"


@pytest.mark.parametrize("page", ["access", "audit"])
def test_a_viewer_is_refused_the_admin_pages(signed_in, page):
    run, _, _ = signed_in
    at = run({"is_logged_in": True, "email": "carol@example.com", "email_verified": True}, f"../pages/{page}.py")
    assert not at.exception
    assert "Your role (viewer) may not" in at.error[0].value and not at.text_area and not at.dataframe
