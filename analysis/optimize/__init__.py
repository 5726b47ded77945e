"""Optimization: commitment discounts (utilization, unused cost, coverage, savings) and savings found in the bill."""
