"""Streamlit entry point, cached wrappers around `analysis`, shared filters and UI helpers."""
