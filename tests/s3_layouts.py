"""Billing deliveries laid out in S3 as AWS writes them, for tests against a moto server."""

import csv
import gzip
import io
import json

COLUMNS = ["BillingAccountId", "ProviderName", "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart",
           "BillingPeriodEnd", "BilledCost", "EffectiveCost", "BillingCurrency", "ServiceName"]


def focus_csv(month: str, costs: list[float], account: str = "111122223333") -> bytes:
    """A gzipped FOCUS CSV of one billing month: one row per cost, on consecutive days."""
    start, end = f"{month}-01T00:00:00Z", next_month(month)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for day, cost in enumerate(costs, start=1):
        writer.writerow([account, "AWS", f"{month}-{day:02d}T00:00:00Z", f"{month}-{day + 1:02d}T00:00:00Z", start,
                         end, f"{cost:.2f}", f"{cost:.2f}", "USD", "Amazon EC2"])
    return gzip.compress(text.getvalue().encode(), mtime=0)  # the same rows give the same bytes


def next_month(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}-01T00:00:00Z"


def deliver_export(s3, bucket: str, month: str, costs: list[float], execution: str) -> None:
    """An AWS Data Exports delivery of one billing period (overwrite mode: the manifest is replaced)."""
    key = f"exports/focus/data/BILLING_PERIOD={month}/{execution}/focus-00001.csv.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=focus_csv(month, costs))
    manifest = {"executionId": execution, "exportArn": "arn:aws:bcm-data-exports:us-east-1:111122223333:export/focus",
                "billingPeriod": {"start": f"{month}-01T00:00:00.000Z", "end": next_month(month)},
                "dataFiles": [f"s3://{bucket}/{key}"], "columns": [{"name": c} for c in COLUMNS]}
    s3.put_object(Bucket=bucket, Key=f"exports/focus/metadata/BILLING_PERIOD={month}/focus-Manifest.json",
                  Body=json.dumps(manifest).encode())


def s3_env(endpoint: str) -> dict[str, str]:
    """Environment for boto3 to reach a moto server with test credentials."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1"}
