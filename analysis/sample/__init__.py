"""The embedded sample bill: a deterministic multi-cloud FOCUS generator."""

from analysis.sample.generator import CHUNK_ROWS, COLUMNS, DEFAULT_ROWS, generate_sample, sample_anomalies

__all__ = ["CHUNK_ROWS", "COLUMNS", "DEFAULT_ROWS", "generate_sample", "sample_anomalies"]
