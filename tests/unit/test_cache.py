"""The Parquet cache: commits, refusals that change nothing, removal."""

import pandas as pd
import pytest

from analysis.cache import CacheError, FocusCache
from analysis.query import Filters


def _frame(cost: float, provider: str = "AWS") -> pd.DataFrame:
    start = pd.to_datetime(["2025-03-01", "2025-03-02"], utc=True)
    return pd.DataFrame({
        "ChargePeriodStart": start, "ChargePeriodEnd": start + pd.Timedelta(days=1),
        "BilledCost": [cost, cost], "EffectiveCost": [cost, cost], "BillingCurrency": ["USD", "USD"],
        "ProviderName": [provider, provider], "Tags": ['{"team":"a"}', None],
    })


def test_empty_cache_answers_with_zero(tmp_path):
    q = FocusCache(tmp_path).queries()
    assert q.period() is None
    assert q.total(Filters()) == 0.0


def test_sources_add_up_and_can_be_removed(tmp_path):
    cache = FocusCache(tmp_path)
    first = cache.add_source([_frame(10.0)], "a.csv", sha256="a")
    cache.add_source([_frame(2.5, "Microsoft")], "b.csv", sha256="b")
    assert cache.queries().total(Filters()) == 25.0
    assert cache.version() == 2
    cache.remove_source(first.id)
    assert cache.queries().total(Filters()) == 5.0
    assert len(list((tmp_path / "lines").glob("*.parquet"))) == 1


def test_same_file_twice_is_refused_and_nothing_changes(tmp_path):
    cache = FocusCache(tmp_path)
    cache.add_source([_frame(10.0)], "a.csv", sha256="same")
    before = cache.manifest()
    with pytest.raises(CacheError, match="b.csv is already loaded .*'a.csv'"):
        cache.add_source([_frame(99.0)], "b.csv", sha256="same")
    assert cache.manifest() == before
    assert cache.queries().total(Filters()) == 20.0


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
    assert cache.queries().total(Filters()) == 20.0
