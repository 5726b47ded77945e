"""Native billing formats and remote locations converted to FOCUS (filled by the sources work)."""
