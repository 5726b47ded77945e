"""What-if scenarios: levers on scopes of the bill, applied to the forecast by calendar month."""
