"""Bills where they live: `sync` and `load s3://...` against a real `moto` S3 server on loopback, through boto3.

Layouts are the ones AWS writes: a Data Exports prefix (`metadata/BILLING_PERIOD=YYYY-MM/...-Manifest.json`
listing `data/BILLING_PERIOD=YYYY-MM/...` files, gzipped CSV and Parquet, with an older execution's files
still lying there as in create-new mode), a legacy CUR prefix (`<report>/<YYYYMMDD-YYYYMMDD>/<report>-Manifest.json`
with `reportKeys`), and a plain prefix of FOCUS files copied by hand.
"""

import gzip
import json
import os
import subprocess
import sys
from decimal import Decimal

import boto3
import pytest

from analysis.query import Filters, local_queries
from analysis.store.cache import FocusCache
from analysis.sync.run import sync, sync_state
from analysis.sync.sources import SyncSource
from tests.conftest import ROOT
from tests.fixture_paths import FIXTURES
from tests.s3_layouts import deliver_export, focus_csv, s3_env
from tests.servers import dropping_proxy, moto_s3_server

CUR_PARQUET = FIXTURES / "aws" / "cur_legacy_parquet_2018-10-01.parquet"


@pytest.fixture(scope="module")
def endpoint():
    with moto_s3_server() as url:
        yield url


@pytest.fixture
def aws(endpoint, monkeypatch):
    for name, value in s3_env(endpoint).items():
        monkeypatch.setenv(name, value)
    return boto3.client("s3")


@pytest.fixture
def bucket(aws, request):
    name = "bills-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
    aws.create_bucket(Bucket=name)
    return name


def _billed(cache: FocusCache) -> Decimal:
    total = local_queries(cache).total(Filters(currency="USD"), "BilledCost")
    return Decimal(str(total)).quantize(Decimal("0.01"))


def test_first_sync_loads_the_second_reads_nothing_and_a_redelivered_month_replaces(aws, bucket, tmp_path):
    deliver_export(aws, bucket, "2025-03", [10.0, 20.5], "exec-march-1")
    deliver_export(aws, bucket, "2025-04", [5.25] * 3, "exec-april-1")
    aws.put_object(Bucket=bucket, Key="exports/focus/data/BILLING_PERIOD=2025-04/exec-april-0/focus-00001.csv.gz",
                   Body=focus_csv("2025-04", [999.0]))  # an older execution's file: not in the manifest
    cache = FocusCache(tmp_path / "cache")
    source = SyncSource(name="aws-focus", location=f"s3://{bucket}/exports/focus", kind="aws-data-exports")

    first = sync(cache, [source]).results[0]
    assert first.error is None and first.read == ["2025-03", "2025-04"] and first.how == "AWS Data Exports manifests"
    assert _billed(cache) == Decimal("46.25")  # 30.50 + 15.75: the stale 999 was not read

    second = sync(cache, [source]).results[0]
    assert second.read == [] and second.unchanged == 2 and second.error is None
    assert _billed(cache) == Decimal("46.25")

    deliver_export(aws, bucket, "2025-04", [7.0] * 3, "exec-april-2")  # April restated: 21.00, not 15.75 + 21.00
    third = sync(cache, [source]).results[0]
    assert third.read == ["2025-04"] and third.unchanged == 1
    assert any("replaced 2025-04" in r for r in third.replaced)
    assert _billed(cache) == Decimal("51.50")
    state = sync_state(cache)["aws-focus"]
    assert state["units"]["2025-04"]["fingerprint"] == "exec-april-2" and state["last_error"] is None

    deliver_export(aws, bucket, "2025-04", [7.0] * 3, "exec-april-3")  # the same bytes delivered again
    fourth = sync(cache, [source]).results[0]
    assert fourth.error is None and fourth.read == ["2025-04"]
    assert _billed(cache) == Decimal("51.50")  # replaced, not refused as already loaded, not doubled


def test_a_legacy_cur_prefix_is_read_through_its_manifest(aws, bucket, tmp_path):
    folder = "cur/daily/20181001-20181101"
    data = f"{folder}/5b2c-assembly/daily-00001.snappy.parquet"
    aws.put_object(Bucket=bucket, Key=data, Body=CUR_PARQUET.read_bytes())
    aws.put_object(Bucket=bucket, Key=f"{folder}/daily-Manifest.json", Body=json.dumps({
        "assemblyId": "5b2c-assembly", "reportKeys": [data], "bucket": bucket,
        "billingPeriod": {"start": "20181001T000000.000Z", "end": "20181101T000000.000Z"}}).encode())
    cache = FocusCache(tmp_path / "cache")
    result = sync(cache, [SyncSource(name="cur", location=f"s3://{bucket}/cur")]).results[0]
    assert result.error is None and result.how == "legacy CUR manifests" and result.read == ["2018-10"]
    assert result.rows == 3685 and _billed(cache) == Decimal("247.14")


def test_a_prefix_without_manifests_is_listed_and_loaded_like_a_folder(aws, bucket, tmp_path):
    aws.put_object(Bucket=bucket, Key="manual/2025-05.csv.gz", Body=focus_csv("2025-05", [1.5, 2.5]))
    aws.put_object(Bucket=bucket, Key="manual/nested/2025-06.csv", Body=gzip.decompress(focus_csv("2025-06", [4.0])))
    aws.put_object(Bucket=bucket, Key="manual/README.txt", Body=b"copied by hand")
    cache = FocusCache(tmp_path / "cache")
    result = sync(cache, [SyncSource(name="manual", location=f"s3://{bucket}/manual")]).results[0]
    assert result.how == "file listing" and sorted(result.read) == ["2025-05.csv.gz", "nested/2025-06.csv"]
    assert _billed(cache) == Decimal("8.00")


def test_broken_sources_are_named_and_the_others_still_sync(aws, bucket, tmp_path):
    deliver_export(aws, bucket, "2025-03", [10.0], "exec-1")
    aws.put_object(Bucket=bucket, Key="bad/focus/metadata/BILLING_PERIOD=2025-03/focus-Manifest.json",
                   Body=b"{not json")
    aws.put_object(Bucket=bucket, Key="gone/focus/metadata/BILLING_PERIOD=2025-03/focus-Manifest.json",
                   Body=json.dumps({"executionId": "e", "dataFiles": [f"s3://{bucket}/gone/focus/data/x.csv.gz"]}).encode())
    aws.put_object(Bucket=bucket, Key="rejected/bill.csv", Body=b"name,age\nalice,31\n")
    sources = [SyncSource(name="no-bucket", location="s3://no-such-bucket-here/x"),
               SyncSource(name="bad-manifest", location=f"s3://{bucket}/bad/focus"),
               SyncSource(name="missing-file", location=f"s3://{bucket}/gone/focus"),
               SyncSource(name="not-billing", location=f"s3://{bucket}/rejected"),
               SyncSource(name="good", location=f"s3://{bucket}/exports/focus")]
    cache = FocusCache(tmp_path / "cache")
    results = {r.name: r for r in sync(cache, sources).results}
    assert results["no-bucket"].error == "s3://no-such-bucket-here/x: the bucket 'no-such-bucket-here' does not exist"
    assert "bad/focus: manifest metadata/BILLING_PERIOD=2025-03/focus-Manifest.json is not valid JSON (" in \
        results["bad-manifest"].error
    assert results["missing-file"].error == (f"s3://{bucket}/gone/focus: manifest metadata/BILLING_PERIOD="
                                             f"2025-03/focus-Manifest.json lists s3://{bucket}/gone/focus/data/x.csv.gz,"
                                             " which does not exist")
    assert "a file was rejected: bill.csv: doesn't look like FOCUS billing data" in results["not-billing"].error
    assert results["good"].error is None and results["good"].read == ["2025-03"]
    assert _billed(cache) == Decimal("10.00")  # only the good source's rows
    assert sync_state(cache)["bad-manifest"]["last_error"]["message"] == results["bad-manifest"].error


def _command(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_commands_sync_and_load_s3_locations(aws, bucket, endpoint, tmp_path):
    deliver_export(aws, bucket, "2025-03", [10.0, 20.5], "exec-1")
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: aws-focus\n    location: s3://{bucket}/exports/focus\n"
                       "    kind: aws-data-exports\n    schedule: hourly\n")
    env = dict(os.environ)
    done = _command(["--cache", str(tmp_path / "c1"), "sync", "--sources", str(sources)], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"sources": 1, "failed": [], "read": {"aws-focus": ["2025-03"]},
                                                        "rows": 2}
    again = _command(["--cache", str(tmp_path / "c1"), "sync", "--sources", str(sources)], env)
    assert "aws-focus: up to date (1 unit(s) unchanged" in again.stdout

    loaded = _command(["--cache", str(tmp_path / "c2"), "load", f"s3://{bucket}/exports/focus"], env)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout.splitlines()[-1])["totals"]["USD"]["BilledCost"] == pytest.approx(30.5)

    anonymous = {k: v for k, v in env.items() if not k.startswith("AWS_") or k == "AWS_ENDPOINT_URL"}
    anonymous |= {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                  "AWS_EC2_METADATA_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
    refused = _command(["--cache", str(tmp_path / "c3"), "sync", "--sources", str(sources)], anonymous)
    assert refused.returncode == 1
    assert f"aws-focus: FAILED: s3://{bucket}/exports/focus: no AWS credentials found" in refused.stdout
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "c3" / "manifest.json").exists()


def test_a_connection_dropped_mid_file_commits_nothing_and_the_next_sync_reads_it(aws, bucket, endpoint, tmp_path,
                                                                                  monkeypatch):
    deliver_export(aws, bucket, "2025-03", [10.0], "exec-1")
    deliver_export(aws, bucket, "2025-04", [2.0] * 20, "exec-2")  # its data file is cut off halfway below
    cache = FocusCache(tmp_path / "cache")
    source = SyncSource(name="flaky", location=f"s3://{bucket}/exports/focus")
    with dropping_proxy(endpoint, "exec-2/focus-00001") as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy)
        result = sync(cache, [source]).results[0]
    assert result.read == ["2025-03"], result.error  # March was committed before April's file broke off
    assert result.error.startswith(f"s3://{bucket}/exports/focus: the connection ")
    assert "exec-2/focus-00001.csv.gz" in result.error
    assert _billed(cache) == Decimal("10.00")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    retried = sync(cache, [source]).results[0]
    assert retried.read == ["2025-04"] and retried.error is None
    assert _billed(cache) == Decimal("50.00")


def test_access_denied_is_named(tmp_path, monkeypatch):
    with moto_s3_server(unchecked_requests=5) as endpoint:  # IAM is checked after the 5 setup requests below
        for name, value in s3_env(endpoint).items():
            monkeypatch.setenv(name, value)
        boto3.client("s3").create_bucket(Bucket="locked")
        deliver_export(boto3.client("s3"), "locked", "2025-03", [1.0], "e")  # a data file and its manifest
        iam = boto3.client("iam")
        iam.create_user(UserName="reader")  # a user without any policy
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        result = sync(FocusCache(tmp_path / "cache"), [SyncSource(name="locked", location="s3://locked/x")]).results[0]
    assert result.error == ("s3://locked/x: access denied while listing the files (the credentials in use may not "
                            "read this bucket)")


def test_a_cur2_data_export_in_parquet_is_read_through_its_manifest(aws, bucket, tmp_path):
    cur2 = FIXTURES / "aws" / "cur2_synthetic.parquet"  # March 2025, sum line_item_unblended_cost 106.5966
    data = "daily/cur2/data/BILLING_PERIOD=2025-03/cur2-00001.snappy.parquet"
    aws.put_object(Bucket=bucket, Key=data, Body=cur2.read_bytes())
    aws.put_object(Bucket=bucket, Key="daily/cur2/metadata/BILLING_PERIOD=2025-03/cur2-Manifest.json",
                   Body=json.dumps({"executionId": "x1", "dataFiles": [f"s3://{bucket}/{data}"],
                                    "billingPeriod": {"start": "2025-03-01T00:00:00.000Z"}}).encode())
    cache = FocusCache(tmp_path / "cache")
    result = sync(cache, [SyncSource(name="cur2", location=f"s3://{bucket}/daily")]).results[0]
    assert result.error is None and result.read == ["2025-03"] and result.rows == 38
    assert _billed(cache) == Decimal("106.60")
