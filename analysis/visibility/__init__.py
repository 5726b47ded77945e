"""Visibility: Overview KPIs and movers over the query layer."""
