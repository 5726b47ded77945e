"""A mounted folder is a location like an S3 prefix: listed, copied file by file, read only when it changed."""

import gzip
import os
from decimal import Decimal

from analysis.query import Filters, local_queries
from analysis.store.cache import FocusCache
from analysis.sync.run import sync
from analysis.sync.sources import SyncSource
from tests.s3_layouts import focus_csv


def _billed(cache: FocusCache) -> Decimal:
    total = local_queries(cache).total(Filters(currency="USD"), "BilledCost")
    return Decimal(str(total)).quantize(Decimal("0.01"))


def test_a_folder_source_syncs_what_changed(tmp_path):
    folder = tmp_path / "exports"
    (folder / "2025").mkdir(parents=True)
    (folder / "2025" / "march.csv.gz").write_bytes(focus_csv("2025-03", [10.0, 2.5]))
    (folder / "notes.txt").write_text("not a bill")
    cache = FocusCache(tmp_path / "cache")
    source = SyncSource(name="share", location=str(folder), kind="files")
    first = sync(cache, [source]).results[0]
    assert first.error is None and first.read == ["2025/march.csv.gz"] and _billed(cache) == Decimal("12.50")
    assert sync(cache, [source]).results[0].read == []
    restated = folder / "2025" / "march.csv.gz"
    restated.write_bytes(gzip.compress(gzip.decompress(focus_csv("2025-03", [10.0, 5.0]))))
    os.utime(restated, ns=(restated.stat().st_atime_ns, restated.stat().st_mtime_ns + 1_000_000))
    assert sync(cache, [source]).results[0].read == ["2025/march.csv.gz"]
    assert _billed(cache) == Decimal("15.00")  # the restated month replaced the first delivery


def test_a_missing_folder_is_named(tmp_path):
    result = sync(FocusCache(tmp_path / "cache"), [SyncSource(name="gone", location=str(tmp_path / "nope"))]).results[0]
    assert result.error == f"{tmp_path / 'nope'}: no such folder"
