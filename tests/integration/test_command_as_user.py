"""Commands act as someone: `python -m analysis --workspace W --as EMAIL ...` runs with that user's role and
scope from access.yaml; without `--as` a command is the operator's, with full access."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.access_files import write_scoped_access
from tests.conftest import ROOT

ACCOUNT = "SubAccountName"


@pytest.fixture
def workspace(tmp_path, sample_frame):
    folder = tmp_path / "workspace"
    account = write_scoped_access(folder, sample_frame)
    return folder, account


def _run(sample_cache, workspace, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "--cache", str(sample_cache.root), "--workspace",
                           str(workspace), *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_a_report_as_a_scoped_viewer_holds_only_their_rows(sample_cache, sample_frame, workspace, tmp_path):
    folder, account = workspace
    out = tmp_path / "carol.xlsx"
    done = _run(sample_cache, folder, "--as", "Carol@Example.com", "report", "--xlsx", str(out), "--month", "2026-10")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    days = pd.to_datetime(sample_frame["ChargePeriodStart"], utc=True)
    october = sample_frame[(days >= "2026-10-01") & (days < "2026-11-01")]
    expected = october.loc[october[ACCOUNT] == account, "EffectiveCost"].sum()
    assert summary["totals"]["EffectiveCost"] == pytest.approx(round(expected, 2), abs=0.01)
    assert summary["totals"]["EffectiveCost"] < october["EffectiveCost"].sum() / 2
    audit = [json.loads(line) for line in (folder / "audit.jsonl").read_text().splitlines()] \
        if (folder / "audit.jsonl").exists() else []
    assert all(entry["who"] == "carol@example.com" for entry in audit)


def test_an_unknown_user_is_refused_with_exit_3_and_no_file(sample_cache, workspace, tmp_path):
    folder, _ = workspace
    out = tmp_path / "mallory.xlsx"
    done = _run(sample_cache, folder, "--as", "mallory@example.com", "report", "--xlsx", str(out))
    assert done.returncode == 3 and not out.exists()
    assert done.stderr.strip() == ("Refused: mallory@example.com has no access: no grant in access.yaml gives this "
                                   "user a role. Nothing changed.")
    (entry,) = [json.loads(line) for line in (folder / "audit.jsonl").read_text().splitlines()]
    assert entry["who"] == "mallory@example.com" and entry["action"] == "refused" and entry["ok"] is False


def test_a_viewer_may_not_change_the_cache_and_an_admin_by_group_may(sample_cache, workspace, tmp_path):
    folder, _ = workspace
    cache = tmp_path / "own-cache"
    refused = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(cache), "--workspace", str(folder),
                              "--as", "carol@example.com", "sample", "--rows", "2000"], cwd=ROOT, capture_output=True,
                             text=True, timeout=300, check=False)
    assert refused.returncode == 3 and "carol@example.com may not run sample" in refused.stderr
    assert not (cache / "manifest.json").exists()
    (entry,) = [json.loads(line) for line in (folder / "audit.jsonl").read_text().splitlines()]
    assert (entry["who"], entry["action"], entry["target"], entry["ok"]) == ("carol@example.com", "refused", "sample",
                                                                            False)
    allowed = subprocess.run([sys.executable, "-m", "analysis", "--cache", str(cache), "--workspace", str(folder),
                              "--as", "dana@example.com", "--groups", "staff,finops-admins", "sample", "--rows", "2000"],
                             cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert allowed.returncode == 0, allowed.stderr
