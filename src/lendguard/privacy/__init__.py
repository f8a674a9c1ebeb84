"""Capability 1 — personal-information governance: consent ledger, governed access, encryption, borrower rights."""
