"""Sign-in through a real OpenID Connect provider: `oidc-provider-mock` and `streamlit run` with a secrets file
of this test's own (an `[auth]` section and a random cookie secret), both on free ports, driven by Playwright in
Debian's Chromium. A viewer scoped to one account and an admin sign in through the provider's form and see
different month-to-date totals (the viewer's equal to an independent pandas sum); signing out clears the
session.

The browser uses the host name of `redirect_uri` (`localhost`): Streamlit's sign-in cookies are set for that
host, so a browser on 127.0.0.1 would come back from the provider signed out, without an error."""

import datetime as dt
import json
import os
import secrets
import shutil
import urllib.request

import pytest
from playwright.sync_api import expect

from app.ui import money
from tests.access_files import write_scoped_access
from tests.conftest import SAMPLE_END
from tests.servers import oidc_provider, streamlit_server

pytestmark = pytest.mark.e2e
ACCOUNT = "SubAccountName"
USERS = {  # sub -> the claims the provider puts in the ID token
    "carol": {"email": "carol@example.com", "email_verified": True, "name": "Carol", "groups": ["finance"]},
    "dana": {"email": "dana@example.com", "email_verified": True, "name": "Dana", "groups": ["finops-admins"]},
}


def _put_user(provider: str, sub: str, claims: dict) -> None:
    request = urllib.request.Request(f"{provider}/users/{sub}", data=json.dumps(claims).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204


@pytest.fixture(scope="module")
def account(sample_frame) -> str:
    return sample_frame[ACCOUNT].value_counts().index[0]  # the account with most rows


@pytest.fixture(scope="module")
def app_url(sample_cache, sample_frame, account, tmp_path_factory):
    """The app behind sign-in, at `http://localhost:<port>`: carol views one account, dana (by group) is admin."""
    root = tmp_path_factory.mktemp("sign-in")
    cache = root / "cache"
    shutil.copytree(sample_cache.root, cache)
    workspace = root / "workspace"
    assert write_scoped_access(workspace, sample_frame) == account
    with oidc_provider() as provider:
        for sub, claims in USERS.items():
            _put_user(provider, sub, claims)
        secrets_file = root / "secrets.toml"
        secrets_file.write_text(f"""[auth]
redirect_uri = "http://localhost:{{port}}/oauth2callback"
cookie_secret = "{secrets.token_urlsafe(48)}"
client_id = "finops-workbench"
client_secret = "{secrets.token_urlsafe(24)}"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""")  # Streamlit puts the server's port in place of {port}
        env = dict(os.environ, FINOPS_CACHE_DIR=str(cache), FINOPS_WORKSPACE=str(workspace))
        with streamlit_server(env, ["--secrets.files", str(secrets_file)]) as url:
            yield url.replace("127.0.0.1", "localhost")


def _month_to_date(page) -> str:
    value = page.locator("[data-testid='stMetric']", has_text="Month to date").locator("[data-testid='stMetricValue']")
    expect(value.first).to_be_visible(timeout=60_000)
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid='stException']").count() == 0
    return value.first.inner_text()


def _signed_in_line(page) -> str:
    """The sidebar's line naming the user (without the word joiner that keeps an address from becoming a link)."""
    line = page.locator("[data-testid='stSidebar'] [data-testid='stCaptionContainer']", has_text="Signed in as")
    expect(line).to_be_visible(timeout=30_000)
    return line.inner_text().replace("\u2060", "").strip()


def _sign_in(page, app_url: str, sub: str) -> None:
    """From the app's sign-in page through the provider's form and back to the Overview."""
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)  # the provider's own page
    page.locator("input[name='sub']").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app_url}/**", timeout=30_000)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)


def test_two_users_sign_in_through_the_provider_and_see_their_own_totals(page, app_url, sample_frame, account,
                                                                         tmp_path):
    page.goto(app_url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    assert page.locator("[data-testid='stMetric']").count() == 0  # nothing of the bill before sign-in

    _sign_in(page, app_url, "carol")
    sidebar = page.locator("[data-testid='stSidebar']")
    assert _signed_in_line(page) == "Signed in as carol@example.com · viewer · sees part of the bill"
    caption = sidebar.locator("[data-testid='stCaptionContainer']", has_text="Signed in as")
    caption.locator("[data-testid='stTooltipHoverTarget']").hover()  # the line's help names the user's rows
    expect(page.locator("[data-testid='stTooltipContent']")).to_contain_text(f"Your rows: Sub-account: {account}")
    viewer = _month_to_date(page)
    page.screenshot(path=str(tmp_path / "viewer-overview.png"), full_page=True)

    days = sample_frame["ChargePeriodStart"].dt.date
    as_of = SAMPLE_END - dt.timedelta(days=1)  # the last day with data, as the Overview says
    month = sample_frame[(days >= as_of.replace(day=1)) & (days < SAMPLE_END)]
    assert viewer == money(float(month.loc[month[ACCOUNT] == account, "EffectiveCost"].sum()))

    sidebar.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)  # the provider ends its session too
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{app_url}/**", timeout=30_000)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    assert page.locator("[data-testid='stMetric']").count() == 0
    cookies = {c["name"] for c in page.context.cookies(app_url)}
    assert not any(name.startswith("_streamlit_user") for name in cookies), cookies  # the session is gone

    _sign_in(page, app_url, "dana")
    assert _signed_in_line(page) == "Signed in as dana@example.com · admin · sees the whole bill"
    admin = _month_to_date(page)
    assert admin == money(float(month["EffectiveCost"].sum()))

    def amount(text: str) -> float:
        return float(text.replace("$", "").replace(",", ""))

    assert amount(admin) > amount(viewer)
