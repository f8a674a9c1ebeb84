"""Shared kernel: settings, database, tenancy, authentication, event log and the composition root."""
