"""The Data page's synced locations under AppTest, against a real moto S3 server on loopback."""

import boto3
import pytest

from tests.app.conftest import app_test, button
from tests.s3_layouts import deliver_export, s3_env
from tests.servers import moto_s3_server


@pytest.fixture
def data_page(tmp_path, monkeypatch):
    with moto_s3_server() as endpoint:
        for name, value in s3_env(endpoint).items():
            monkeypatch.setenv(name, value)
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="bills")
        deliver_export(s3, "bills", "2025-03", [10.0, 20.5], "exec-1")
        deliver_export(s3, "bills", "2025-04", [5.25] * 3, "exec-2")
        workspace = tmp_path / "workspace"
        workspace.mkdir()
        (workspace / "sources.yaml").write_text(
            "sources:\n  - name: aws-focus\n    location: s3://bills/exports/focus\n    kind: aws-data-exports\n"
            "  - name: old-bucket\n    location: s3://no-such-bucket/cur\n")
        monkeypatch.setenv("FINOPS_WORKSPACE", str(workspace))
        monkeypatch.setenv("FINOPS_CACHE_DIR", str(tmp_path / "cache"))
        at = app_test().run()
        yield at.switch_page("../pages/data.py").run()


def _status(at) -> dict:
    table = next(d.value for d in at.dataframe if "Last sync (schedule)" in d.value.columns)
    return {row["Source"]: row for row in table.to_dict("records")}


def test_sync_now_loads_names_the_broken_source_and_then_reads_nothing(data_page):
    at = data_page
    assert _status(at)["aws-focus"]["Last sync (schedule)"] == "never (daily)"
    button(at, "Sync now").click().run()
    assert not at.exception
    assert any(m.value.replace("\\", "").startswith("aws-focus: read 2025-03, 2025-04 (5 rows") for m in at.success), \
        [m.value for m in at.success]
    (error,) = [m.value.replace("\\", "").replace("\u2060", "") for m in at.error]
    assert error == "old-bucket: FAILED: s3://no-such-bucket/cur: the bucket 'no-such-bucket' does not exist"
    status = _status(at)
    assert status["aws-focus"]["Rows"] == 5 and status["aws-focus"]["Billed"] == "46.25 USD"
    assert status["aws-focus"]["Periods"] == "2025-03, 2025-04" and status["aws-focus"]["Status"] == "ok"
    assert status["old-bucket"]["Status"] == "failed: see below"
    warnings = [w.value.replace("\\", "").replace("\u2060", "") for w in at.warning]
    (last,) = [w for w in warnings if w.startswith("**old-bucket**, last sync")]
    assert "the bucket 'no-such-bucket' does not exist" in last
    assert at.metric[0].value == "5"  # the Rows KPI of the cache
    button(at, "Sync now").click().run()
    assert any(m.value.replace("\\", "").startswith("aws-focus: up to date (2 unit(s) unchanged") for m in at.success)
