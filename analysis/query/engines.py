"""The engines the query layer runs on: DuckDB over the local Parquet cache, or Snowflake in place."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import ibis

from analysis.dimensions import tag_dimension
from analysis.query.acting import in_view
from analysis.query.costs import CostQueries
from analysis.store.cache import FocusCache, empty_line_items
from analysis.store.tables import DAILY, LINES, daily_rollup

if TYPE_CHECKING:  # the connector is imported only where Snowflake is used
    import snowflake.connector


def local_queries(cache: FocusCache, memory_limit: str = "1GB") -> CostQueries:
    """A DuckDB-backed query layer over a cache (empty tables when nothing is loaded).

    It reads the files of the manifest version current when it is made. DuckDB keeps under
    `memory_limit` by spilling to disk, so large caches do not exhaust RAM.
    """
    manifest = cache.manifest()
    raw = duckdb.connect(config={"memory_limit": memory_limit})
    files = [str(cache.root / f) for s in manifest["sources"] for f in s["files"]]
    if files:  # views (not temporary) so that a cursor of this connection sees them too
        raw.read_parquet(files, union_by_name=True).create_view(LINES)
        raw.read_parquet(str(cache.root / manifest["daily"])).create_view(DAILY)
    con = ibis.duckdb.from_connection(raw)
    if not files:
        con.create_table(LINES, schema=ibis.Schema.from_pyarrow(empty_line_items().schema))
        con.create_table(DAILY, schema=daily_rollup(con.table(LINES)).schema())
    in_json = {tag_dimension(col): tuple(sp) for col, sp in manifest.get("tags_in_json", {}).items()}
    return in_view(CostQueries(con, json_tags=in_json))


def snowflake_queries(conn: snowflake.connector.SnowflakeConnection) -> CostQueries:
    """The query layer running inside Snowflake on the `focus_lines` / `focus_daily` tables."""
    return in_view(CostQueries(ibis.snowflake.from_connection(conn, create_object_udfs=False)))
