"""Budgets: amounts per period on a scope of the bill, checked against actual and forecast spend."""
