"""Writing the cache out in open formats: FOCUS 1.2 Parquet (`focus`)."""
