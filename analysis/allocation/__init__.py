"""Cost allocation: rule sets kept as YAML, compiled into the query layer, shared-cost splits."""
