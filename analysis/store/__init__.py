"""Storage: the Parquet cache and its manifest, table definitions and the daily rollup, Snowflake publishing, the workspace files, safe file writing."""
