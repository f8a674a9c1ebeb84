"""Capability 5 — loan disclosure: true annualised rates and mis-selling checks."""
