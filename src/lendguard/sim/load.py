"""Load a synthetic world (the CSV files of ``lendguard sim generate``) into the database.

The kernel part (institutions, users, the loan book) is loaded here; every capability loads its own
files through its ``world_import.load(container, world_dir, institutions, progress)``, listed in
:data:`WORLD_IMPORTERS` in the order they must run.
"""

from __future__ import annotations

# Capability importers, each a module with ``load(container, world_dir, institutions, progress)``
# where ``institutions`` maps the world's institution_id (e.g. "L01") to the database id.
WORLD_IMPORTERS: tuple[str, ...] = ()
