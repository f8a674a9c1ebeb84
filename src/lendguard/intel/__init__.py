"""Capability 4 — black/grey-industry intelligence: anti-collection agent ring detection and sharing."""
