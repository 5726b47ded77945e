"""The one query layer: filters, the cost queries, and the engines they run on (DuckDB, Snowflake)."""

from analysis.query.costs import GRAINS, CostQueries, Grain, MixedCurrencyError
from analysis.query.engines import local_queries, snowflake_queries
from analysis.query.filters import Filters

__all__ = ["GRAINS", "CostQueries", "Filters", "Grain", "MixedCurrencyError", "local_queries", "snowflake_queries"]
