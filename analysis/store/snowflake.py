"""Snowflake as a store: connect (with plain errors) and publish the local cache's tables there.

Connection settings come from the caller (the app reads them from `.streamlit/secrets.toml`,
section `[snowflake]`); `analysis.query.engines` runs the query layer on such a connection.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

import ibis
import pandas as pd
import pyarrow as pa
import snowflake.connector

from analysis.store.cache import CacheError, FocusCache
from analysis.store.tables import DAILY, LINES, daily_rollup

SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


SECRET_SETTINGS = ("password", "token", "passcode", "private_key", "private_key_file_pwd", "oauth_client_secret")


class SnowflakeConnectionError(RuntimeError):
    """Snowflake could not be reached or refused the login; the message holds no secret."""


def connect(**settings: object) -> snowflake.connector.SnowflakeConnection:
    """Open a connection with the real snowflake-connector-python (account, user, password, ...).

    Raises SnowflakeConnectionError with a plain message (secret settings blanked out) when it fails.
    """
    try:
        return snowflake.connector.connect(**settings)
    except (snowflake.connector.errors.Error, OSError, ValueError, TypeError) as error:
        reason = str(getattr(error, "raw_msg", None) or error)
        for name in SECRET_SETTINGS:
            secret = settings.get(name)
            if secret:
                reason = reason.replace(str(secret), "***")
        where = f"account {settings.get('account', '(none)')!s} as user {settings.get('user', '(none)')!s}"
        raise SnowflakeConnectionError(f"Could not connect to Snowflake ({where}): {reason.strip()}. "
                                       "Check the [snowflake] section of .streamlit/secrets.toml.") from None



def publish(cache: FocusCache, conn: snowflake.connector.SnowflakeConnection, batch_rows: int = 5_000) -> int:
    """Copy the cache's line items into Snowflake and build the daily rollup there; returns rows copied.

    Values travel as bound parameters; only column names (checked against a safe pattern) are
    written into the statement.
    """
    files = cache.line_files()
    if not files:
        raise CacheError(f"The cache in {cache.root} is empty: nothing to publish.")
    local = ibis.duckdb.connect().read_parquet(files, union_by_name=True)
    columns = [c for c in local.columns if SAFE_NAME.match(c)]
    schema = ibis.schema({c: local.schema()[c] for c in columns})
    backend = ibis.snowflake.from_connection(conn, create_object_udfs=False)
    backend.create_table(LINES, schema=schema, overwrite=True)
    names = ", ".join(f'"{c}"' for c in columns)
    statement = f'INSERT INTO "{LINES}" ({names}) VALUES ({", ".join(["%s"] * len(columns))})'
    copied = 0
    with conn.cursor() as cursor:
        for rows in _batches(local.select(columns).to_pyarrow().to_batches(max_chunksize=batch_rows)):
            cursor.executemany(statement, rows)
            copied += len(rows)
    backend.create_table(DAILY, daily_rollup(backend.table(LINES)), overwrite=True)
    return copied


def _batches(batches: Iterable[pa.RecordBatch]) -> Iterator[list[tuple]]:
    """Arrow batches as rows of plain Python values the connector can bind."""
    for batch in batches:
        frame = batch.to_pandas()
        for column in frame.columns:
            values = frame[column]
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                frame[column] = values.dt.strftime("%Y-%m-%d %H:%M:%S")
            elif values.dtype == object:
                frame[column] = values.map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
        frame = frame.astype(object).where(frame.notna(), None)
        yield list(frame.itertuples(index=False, name=None))
