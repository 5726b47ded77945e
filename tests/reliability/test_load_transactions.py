"""Loads as one transaction under real conditions: real processes, kill -9, concurrency, a full disk.

Every check ends the same way: the manifest is valid, and the cache's totals are, to the cent, either
those before the load or those after it, never a mix.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from analysis.query import Filters, local_queries
from analysis.store.cache import FocusCache
from tests.conftest import ROOT
from tests.fixture_paths import SAMPLE_1000

MONTHS = ["2026-01-01", "2026-02-01", "2026-03-01"]


def _cli(cache: Path, *args: str, limit_bytes: int | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:  # RLIMIT_FSIZE: writing past it fails with EFBIG, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, "-m", "analysis", "--cache", str(cache), "load", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False,
                          preexec_fn=limit if limit_bytes else None)


def _bill(path: Path, month: str, rows: int, cost: float, account: str = "111") -> Decimal:
    """A FOCUS CSV of `rows` charges in one billing period; returns its BilledCost total."""
    start = pd.Timestamp(month, tz="UTC") + pd.to_timedelta(pd.RangeIndex(rows) % 28, unit="D")
    period = pd.Timestamp(month, tz="UTC")
    costs = [round(cost + (i % 97) / 100, 2) for i in range(rows)]
    pd.DataFrame({
        "BillingAccountId": account, "ProviderName": "AWS", "BillingCurrency": "USD",
        "BillingPeriodStart": period, "BillingPeriodEnd": period + pd.offsets.MonthBegin(1),
        "ChargePeriodStart": start, "ChargePeriodEnd": start + pd.Timedelta(days=1),
        "ChargeCategory": "Usage", "ServiceName": [f"Service {i % 40}" for i in range(rows)],
        "ResourceId": [f"r-{i % 5000}" for i in range(rows)], "BilledCost": costs, "EffectiveCost": costs,
        "Tags": [f'{{"team": "t{i % 7}", "env": "prod"}}' for i in range(rows)],
    }).to_csv(path, index=False)
    return sum((Decimal(str(c)) for c in costs), Decimal(0))


def _total(cache: Path) -> Decimal:
    return Decimal(str(round(local_queries(FocusCache(cache)).total(Filters(), "BilledCost"), 2)))


def _valid(cache: Path) -> dict:
    """The manifest parses and every file it lists exists; returns it."""
    manifest = json.loads((cache / "manifest.json").read_text())
    for name in [f for s in manifest["sources"] for f in s["files"]] + [manifest["daily"]]:
        assert (cache / name).is_file(), name
    return manifest


def test_a_load_killed_at_any_moment_leaves_the_cache_valid(tmp_path):
    cache = tmp_path / "cache"
    first = _bill(tmp_path / "jan.csv", MONTHS[0], 2_000, 1.0)
    assert _cli(cache, str(tmp_path / "jan.csv")).returncode == 0
    big = _bill(tmp_path / "feb-mar.csv", MONTHS[1], 150_000, 3.0)
    started = time.monotonic()
    probe = _cli(tmp_path / "probe", str(tmp_path / "feb-mar.csv"))
    duration = time.monotonic() - started
    assert probe.returncode == 0, probe.stderr
    outcomes = set()
    for fraction in (0.2, 0.4, 0.6, 0.75, 0.9, 0.97):
        process = subprocess.Popen([sys.executable, "-m", "analysis", "--cache", str(cache), "load",
                                    str(tmp_path / "feb-mar.csv")], cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        _valid(cache)
        total = _total(cache)
        assert total in (first, first + big), f"killed at {fraction:.0%}: {total}"
        outcomes.add(total)
        if total == first + big:  # it had committed: take it out again for the next round
            source = next(s for s in FocusCache(cache).sources() if s.name == "feb-mar.csv")
            FocusCache(cache).remove_source(source.id)
    assert first in outcomes  # at least one kill landed before the commit
    done = _cli(cache, str(tmp_path / "feb-mar.csv"), "--keep-both")
    assert done.returncode == 0, done.stderr
    manifest = _valid(cache)
    assert _total(cache) == first + big
    kept = {f for s in manifest["sources"] for f in s["files"]} | {manifest["daily"]}
    kept |= {f for r in manifest["retired"] for f in r["files"]}
    on_disk = {str(p.relative_to(cache)) for p in [*cache.glob("lines/*"), *cache.glob("daily-*"), *cache.glob("*.tmp")]}
    assert on_disk == kept  # what killed loads left behind is gone


def test_concurrent_loads_in_two_processes_both_count_once(tmp_path):
    cache = tmp_path / "cache"
    totals = [_bill(tmp_path / f"{m[:7]}.csv", m, 20_000, 2.0) for m in MONTHS[:2]]
    processes = [subprocess.Popen([sys.executable, "-m", "analysis", "--cache", str(cache), "load",
                                   str(tmp_path / f"{m[:7]}.csv")], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for m in MONTHS[:2]]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    manifest = _valid(cache)
    assert manifest["version"] == 2 and _total(cache) == sum(totals)


def test_readers_keep_answering_while_loads_commit(tmp_path):
    cache = tmp_path / "cache"
    for i, month in enumerate(MONTHS):
        _bill(tmp_path / f"{i}.csv", month, 5_000, 1.0)
    assert _cli(cache, str(tmp_path / "0.csv")).returncode == 0
    reader = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from analysis.store.cache import FocusCache\nfrom analysis.query import Filters, local_queries\n"
        "end = time.monotonic() + 20\nn = 0\n"
        "while time.monotonic() < end and not __import__('os').path.exists(sys.argv[2]):\n"
        "    q = local_queries(FocusCache(sys.argv[1]))\n"
        "    for _ in range(5):\n        q.total(Filters(), 'BilledCost'); q.series(Filters(), 'BilledCost', 'day')\n"
        "    n += 1\nprint(n)\n"), str(cache), str(tmp_path / "stop")], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    for _ in range(3):  # restate each month again and again under the reader
        for i in range(1, 3):
            path = tmp_path / f"{i}.csv"
            path.write_text(path.read_text() + "\n")  # new content, same charges: a restatement
            assert _cli(cache, str(path)).returncode == 0
    (tmp_path / "stop").touch()
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    assert int(out) > 0
    assert sorted(r.name for r in FocusCache(cache).sources()) == ["0.csv", "1.csv", "2.csv"]
    assert _total(cache) == 3 * sum(Decimal(str(round(1.0 + (i % 97) / 100, 2))) for i in range(5_000))


def test_a_full_disk_is_a_plain_message_and_changes_nothing(tmp_path):
    cache = tmp_path / "cache"
    first = _bill(tmp_path / "jan.csv", MONTHS[0], 1_000, 1.0)
    assert _cli(cache, str(tmp_path / "jan.csv")).returncode == 0
    before = _valid(cache)
    _bill(tmp_path / "feb.csv", MONTHS[1], 100_000, 1.0)
    done = _cli(cache, str(tmp_path / "feb.csv"), limit_bytes=200_000)
    assert done.returncode == 2
    assert "Not enough disk space" in done.stderr and "nothing changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert _valid(cache) == before and _total(cache) == first
    assert not list(cache.rglob("*.tmp")) and len(list(cache.glob("lines/*"))) == len(before["sources"][0]["files"])


def test_replace_with_a_file_refused_later_keeps_the_whole_cache(tmp_path):
    cache = tmp_path / "cache"
    first = _bill(tmp_path / "jan.csv", MONTHS[0], 1_000, 1.0)
    assert _cli(cache, str(tmp_path / "jan.csv")).returncode == 0
    copy = tmp_path / "copy.csv"
    copy.write_bytes(SAMPLE_1000.read_bytes())
    done = _cli(cache, "--replace", str(SAMPLE_1000), str(copy))
    assert done.returncode == 2 and "copy.csv is already loaded" in done.stderr
    assert "nothing changed" in done.stderr
    assert _total(cache) == first


def test_a_restated_month_replaces_the_older_one_on_the_command_line(tmp_path):
    cache = tmp_path / "cache"
    jan = _bill(tmp_path / "jan.csv", MONTHS[0], 100, 1.0)
    _bill(tmp_path / "feb-v1.csv", MONTHS[1], 100, 1.0)
    feb = _bill(tmp_path / "feb-v2.csv", MONTHS[1], 120, 2.0)
    assert _cli(cache, str(tmp_path / "jan.csv"), str(tmp_path / "feb-v1.csv")).returncode == 0
    dry = _cli(cache, "--dry-run", str(tmp_path / "feb-v2.csv"))
    assert "would be replaced 2026-02 of AWS / 111 from 'feb-v1.csv' (100 older rows)" in dry.stdout
    assert json.loads(dry.stdout.splitlines()[-1])["dry_run"] is True
    assert _total(cache) == jan + _bill(tmp_path / "feb-v1.csv", MONTHS[1], 100, 1.0)
    done = _cli(cache, str(tmp_path / "feb-v2.csv"))
    assert "replaced 2026-02 of AWS / 111 from 'feb-v1.csv'" in done.stdout
    assert "source 'feb-v1.csv' removed" in done.stdout
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["rows"] == 120 and result["replaced"][0]["rows"] == 100
    assert _total(cache) == jan + feb
    again = _cli(cache, str(tmp_path / "feb-v2.csv"))
    assert again.returncode == 2 and "already loaded" in again.stderr
    assert _cli(cache, "--keep-both", str(tmp_path / "feb-v1.csv")).returncode == 0
    assert _total(cache) == jan + feb + _bill(tmp_path / "feb-v1.csv", MONTHS[1], 100, 1.0)


@pytest.mark.parametrize("rows", [2_000])
def test_two_thousand_tag_keys_load_fast_with_two_hundred_columns(tmp_path, rows):
    path = tmp_path / "many-tags.csv"
    _bill(path, MONTHS[0], rows, 1.0)
    frame = pd.read_csv(path)
    frame["Tags"] = [json.dumps({f"key{i}": "v", "team": "a"}) for i in range(rows)]
    frame.to_csv(path, index=False)
    started = time.monotonic()
    done = _cli(tmp_path / "cache", str(path))
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30
    manifest = _valid(tmp_path / "cache")
    assert len(manifest["tag_spellings"]) == 200 and "x_tag_team" in manifest["tag_spellings"]
    assert "1,801 tag keys beyond the column limit stay in Tags only" in done.stdout
