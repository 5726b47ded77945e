"""The Parquet cache: commits, refusals that change nothing, removal."""

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.focus.limits import LoadLimits
from analysis.query import Filters, local_queries
from analysis.store.cache import KEEP_VERSIONS, CacheError, Delivery, FocusCache


def _frame(cost: float, provider: str = "AWS") -> pd.DataFrame:
    start = pd.to_datetime(["2025-03-01", "2025-03-02"], utc=True)
    return pd.DataFrame({
        "ChargePeriodStart": start, "ChargePeriodEnd": start + pd.Timedelta(days=1),
        "BilledCost": [cost, cost], "EffectiveCost": [cost, cost], "BillingCurrency": ["USD", "USD"],
        "ProviderName": [provider, provider], "Tags": ['{"team":"a"}', None],
    })


def test_empty_cache_answers_with_zero(tmp_path):
    q = local_queries(FocusCache(tmp_path))
    assert q.period() is None
    assert q.total(Filters()) == 0.0


def test_sources_add_up_and_can_be_removed(tmp_path):
    cache = FocusCache(tmp_path)
    first = cache.add_source([_frame(10.0)], "a.csv", sha256="a")
    cache.add_source([_frame(2.5, "Microsoft")], "b.csv", sha256="b")
    assert local_queries(cache).total(Filters()) == 25.0
    assert cache.version() == 2
    cache.remove_source(first.id)
    assert local_queries(cache).total(Filters()) == 5.0
    assert any(f.startswith("lines/a-") for f in cache.manifest()["retired"][-1]["files"])  # kept for readers


def test_same_file_twice_is_refused_and_nothing_changes(tmp_path):
    cache = FocusCache(tmp_path)
    cache.add_source([_frame(10.0)], "a.csv", sha256="same")
    before = cache.manifest()
    with pytest.raises(CacheError, match="b.csv is already loaded .*'a.csv'"):
        cache.add_source([_frame(99.0)], "b.csv", sha256="same")
    assert cache.manifest() == before
    assert local_queries(cache).total(Filters()) == 20.0


def test_a_failing_source_leaves_the_cache_as_it_was(tmp_path):
    cache = FocusCache(tmp_path)
    cache.add_source([_frame(10.0)], "a.csv")
    before = cache.manifest()

    def frames():
        yield _frame(1.0)
        raise ValueError("broken input")

    with pytest.raises(ValueError, match="broken input"):
        cache.add_source(frames(), "bad.csv")
    assert cache.manifest() == before
    assert local_queries(cache).total(Filters()) == 20.0


def _month(cost: float, month: str, account: str = "111", provider: str = "AWS", rows: int = 3) -> pd.DataFrame:
    """`rows` daily charges of `cost` in one billing period of one billing account."""
    start = pd.date_range(month, periods=rows, freq="D", tz="UTC")
    period = pd.Timestamp(month, tz="UTC")
    return pd.DataFrame({
        "ChargePeriodStart": start, "ChargePeriodEnd": start + pd.Timedelta(days=1),
        "BillingPeriodStart": period, "BillingPeriodEnd": period + pd.offsets.MonthBegin(1),
        "BilledCost": cost, "EffectiveCost": cost, "BillingCurrency": "USD", "ProviderName": provider,
        "BillingAccountId": account, "Tags": None,
    })


def _total(cache: FocusCache) -> float:
    return round(local_queries(cache).total(Filters()), 2)


def test_a_newer_delivery_of_a_cached_billing_period_replaces_it(tmp_path):
    cache = FocusCache(tmp_path)
    cache.load([Delivery("jan-feb.csv", [pd.concat([_month(10, "2026-01-01"), _month(20, "2026-02-01")])], "v1")])
    result = cache.load([Delivery("feb-restated.csv", [_month(25, "2026-02-01")], "v2")])
    assert _total(cache) == 3 * 10 + 3 * 25  # February counted once, as restated
    assert [str(r) for r in result.replaced] == [
        "replaced 2026-02 of AWS / 111 from 'jan-feb.csv' (3 older rows) with the newer delivery"]
    older = next(s for s in cache.sources() if s.name == "jan-feb.csv")
    assert older.summary["rows"] == 3 and older.summary["totals"]["USD"]["BilledCost"] == 30


def test_another_account_or_provider_in_the_same_month_is_added(tmp_path):
    cache = FocusCache(tmp_path)
    cache.load([Delivery("a.csv", [_month(10, "2026-02-01")], "a")])
    result = cache.load([Delivery("b.csv", [_month(1, "2026-02-01", account="222"),
                                            _month(2, "2026-02-01", provider="Microsoft")], "b")])
    assert not result.replaced and _total(cache) == 30 + 3 + 6


def test_keep_both_adds_a_second_delivery_of_the_same_period(tmp_path):
    cache = FocusCache(tmp_path)
    cache.load([Delivery("a.csv", [_month(10, "2026-02-01")], "a")])
    result = cache.load([Delivery("b.csv", [_month(1, "2026-02-01")], "b")], keep_both=True)
    assert not result.replaced and _total(cache) == 33


def test_a_source_whose_every_period_is_replaced_is_removed(tmp_path):
    cache = FocusCache(tmp_path)
    cache.load([Delivery("old.csv", [_month(10, "2026-02-01")], "a")])
    result = cache.load([Delivery("new.csv", [_month(1, "2026-02-01")], "b")])
    assert result.emptied == ["old.csv"] and [s.name for s in cache.sources()] == ["new.csv"]
    assert "source 'old.csv' removed" in " ".join(result.messages())


def test_parts_of_one_load_for_the_same_period_are_all_kept(tmp_path):
    cache = FocusCache(tmp_path)
    cache.load([Delivery("part-1.csv", [_month(1, "2026-02-01")], "1"),
                Delivery("part-2.csv", [_month(2, "2026-02-01")], "2")])
    assert _total(cache) == 9


def test_a_load_of_several_files_commits_once_or_not_at_all(tmp_path):
    cache = FocusCache(tmp_path)
    cache.load([Delivery("a.csv", [_month(10, "2026-01-01")], "a")])
    before = cache.manifest()

    def broken():
        yield _month(5, "2026-02-01")
        raise OSError("the upload was cut off")

    with pytest.raises(CacheError, match="the upload was cut off; nothing changed"):
        cache.load([Delivery("b.csv", [_month(7, "2026-03-01")], "b"), Delivery("c.csv", broken(), "c")],
                   replace_all=True)
    assert cache.manifest() == before and _total(cache) == 30
    assert sorted(p.name for p in (tmp_path / "lines").iterdir()) == sorted(
        f.removeprefix("lines/") for s in before["sources"] for f in s["files"])  # nothing left behind


def test_the_same_content_twice_in_one_load_is_refused(tmp_path):
    cache = FocusCache(tmp_path)
    with pytest.raises(CacheError, match="copy.csv is already loaded .*'a.csv'"):
        cache.load([Delivery("a.csv", [_month(1, "2026-01-01")], "x"),
                    Delivery("copy.csv", [_month(1, "2026-01-01")], "x")], replace_all=True)
    assert cache.version() == 0


def test_a_dry_run_reports_replacements_and_writes_nothing(tmp_path):
    cache = FocusCache(tmp_path / "cache")
    cache.load([Delivery("a.csv", [_month(10, "2026-02-01")], "a")])
    before = cache.manifest()
    result = cache.load([Delivery("b.csv", [_month(1, "2026-02-01")], "b")], dry_run=True)
    assert result.messages()[0].startswith("would be replaced 2026-02 of AWS / 111")
    assert cache.manifest() == before
    fresh = FocusCache(tmp_path / "never")
    fresh.load([Delivery("b.csv", [_month(1, "2026-02-01")], "b")], dry_run=True)
    assert not fresh.root.exists()


def test_dropped_files_stay_for_recent_readers_then_go(tmp_path):
    cache = FocusCache(tmp_path)
    cache.load([Delivery("old.csv", [_month(10, "2026-02-01")], "a")])
    reader = local_queries(cache)  # opened on version 1
    old_files = [tmp_path / f for s in cache.manifest()["sources"] for f in s["files"]]
    cache.load([Delivery("new.csv", [_month(1, "2026-02-01")], "b")])
    assert round(reader.total(Filters()), 2) == 30  # still reads the version it opened
    for i in range(KEEP_VERSIONS):
        assert all(p.exists() for p in old_files)
        cache.load([Delivery(f"other-{i}.csv", [_month(1, f"2025-0{i + 1}-01")], f"o{i}")])
    assert not any(p.exists() for p in old_files)


def test_leftovers_of_a_killed_load_are_cleaned_at_the_next_commit(tmp_path):
    cache = FocusCache(tmp_path)
    cache.load([Delivery("a.csv", [_month(10, "2026-02-01")], "a")])
    leftovers = [tmp_path / "lines" / "dead-0000-0000.parquet", tmp_path / "lines" / "x.parquet.tmp",
                 tmp_path / "daily-000009.parquet.tmp", tmp_path / "manifest.jsonab12.tmp"]
    for path in leftovers:
        path.write_bytes(b"partial")
    cache.load([Delivery("b.csv", [_month(1, "2026-03-01")], "b")])
    assert not any(p.exists() for p in leftovers) and _total(cache) == 33


def test_the_manifest_lists_plain_parquet_files_other_tools_read(tmp_path):
    cache = FocusCache(tmp_path)
    cache.load([Delivery("a.csv", [_month(10, "2026-01-01"), _month(20, "2026-02-01")], "a")])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    files = [tmp_path / f for s in manifest["sources"] for f in s["files"]]
    frame = pd.concat([pd.read_parquet(f) for f in files])
    assert frame["BilledCost"].sum() == 90
    assert str(pq.read_schema(files[0]).field("ChargePeriodStart").type) == "timestamp[us, tz=UTC]"
    assert [p["billing_period"] for p in manifest["sources"][0]["periods"]] == [
        "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"]


def test_tag_keys_beyond_the_cap_stay_in_tags(tmp_path):
    frame = _month(1, "2026-01-01", rows=4)
    frame["Tags"] = ['{"team": "a", "env": "prod"}', '{"team": "b", "rare": "x"}', '{"team": "c"}', None]
    cache = FocusCache(tmp_path)
    result = cache.load([Delivery("a.csv", [frame], "a")], limits=LoadLimits(max_tag_columns=1))
    assert set(cache.manifest()["tag_spellings"]) == {"x_tag_team"}  # the most used key
    assert result.tag_keys_in_json == ["env", "rare"]
    lines = pd.concat(pd.read_parquet(tmp_path / f) for s in cache.manifest()["sources"] for f in s["files"])
    assert not [c for c in lines if c in ("x_tag_env", "x_tag_rare")]
    assert lines["Tags"].str.contains('"rare"').sum() == 1
    later = _month(1, "2026-02-01", rows=1)
    later["Tags"] = '{"env": "dev"}'
    cache.load([Delivery("b.csv", [later], "b")], limits=LoadLimits(max_tag_columns=5))
    assert "x_tag_env" not in cache.manifest()["tag_spellings"]  # refused once: never a partial column


def test_tag_keys_kept_in_tags_only_can_still_be_filtered_and_grouped(tmp_path):
    frame = _month(1, "2026-01-01", rows=4)
    frame["BilledCost"] = [1.0, 2.0, 4.0, 8.0]
    frame["Tags"] = ['{"team": "a", "Rare": "x"}', '{"team": "b", "rare": "y"}', '{"team": "c", "rare": "x"}',
                     None]
    cache = FocusCache(tmp_path)
    cache.load([Delivery("a.csv", [frame], "a")], limits=LoadLimits(max_tag_columns=1))
    q = local_queries(cache)
    assert "tag:rare" in q.tag_keys() and cache.tag_keys()["tag:rare"] == "rare"
    assert q.total(Filters.of(tag_rare=["x"]), "BilledCost") == 5.0  # either spelling of the key
    assert q.total(Filters.of(tag_rare=["(untagged)"]), "BilledCost") == 8.0
    by = q.breakdown(Filters(), ("tag:rare",), "BilledCost").set_index("tag:rare")["cost"].to_dict()
    assert by == {"(untagged)": 8.0, "x": 5.0, "y": 2.0}
    assert set(q.values("tag:rare")) == {"x", "y", "(untagged)"}


def test_rows_without_billing_account_or_period_never_replace_anything(tmp_path):
    cache = FocusCache(tmp_path)
    no_account = _month(1, "2026-02-01", account=None)
    no_period = _month(2, "2026-02-01").drop(columns=["BillingPeriodStart", "BillingPeriodEnd"])
    cache.load([Delivery("a.csv", [no_account], "a")])
    cache.load([Delivery("b.csv", [_month(4, "2026-02-01")], "b")])
    result = cache.load([Delivery("c.csv", [no_period, _month(8, "2026-02-01", account=None)], "c")])
    assert not result.replaced and _total(cache) == 3 * (1 + 4 + 2 + 8)
    assert len(cache.sources()[-1].periods) == 2  # one file per month and account, not per charge day


def test_key_spellings_of_a_removed_or_replaced_delivery_go_with_it(tmp_path):
    cache = FocusCache(tmp_path)
    upper = _month(1, "2026-01-01", rows=2)
    upper["Tags"] = '{"Team": "a"}'
    lower = _month(1, "2026-02-01", rows=3)
    lower["Tags"] = '{"team": "b"}'
    cache.load([Delivery("upper.csv", [upper], "u"), Delivery("lower.csv", [lower], "l")])
    assert cache.manifest()["tag_spellings"]["x_tag_team"] == {"Team": 2, "team": 3}
    cache.remove_source(next(s.id for s in cache.sources() if s.name == "upper.csv"))
    assert cache.manifest()["tag_spellings"]["x_tag_team"] == {"team": 3}
    restated = _month(1, "2026-02-01", rows=4)
    restated["Tags"] = '{"TEAM": "b"}'
    cache.load([Delivery("restated.csv", [restated], "r")])  # replaces lower.csv's February
    assert cache.manifest()["tag_spellings"]["x_tag_team"] == {"TEAM": 4}


def test_a_source_from_before_periods_were_kept_keeps_its_key_spellings(tmp_path):
    cache = FocusCache(tmp_path)
    upper = _month(1, "2026-01-01", rows=2)
    upper["Tags"] = '{"Team": "a"}'
    cache.load([Delivery("old.csv", [upper], "o")])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    for source in manifest["sources"]:  # as a cache written before this version looks
        del source["periods"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    lower = _month(1, "2026-02-01", rows=3)
    lower["Tags"] = '{"team": "b"}'
    cache.load([Delivery("new.csv", [lower], "n")])
    assert cache.manifest()["tag_spellings"]["x_tag_team"] == {"Team": 2, "team": 3}
