"""Outputs for people: CSV downloads that stay text (Excel workbooks to come)."""
