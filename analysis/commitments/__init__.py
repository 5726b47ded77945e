"""Commitment discounts (reservations, savings plans, committed use): what they can cover."""
