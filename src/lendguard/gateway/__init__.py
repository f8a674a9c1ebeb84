"""Capability 2 — credit-data gateway: authorised queries, prepaid tiered billing, abuse detection."""
