"""Capability 3 — compliant collections: cases, contact attempts, the contact-policy engine and message screening."""
