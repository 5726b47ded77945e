"""FOCUS: the column catalogue, value coercion and checks, file loading and validation, load summaries."""
