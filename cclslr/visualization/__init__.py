"""Visualisation components. cclslr uses MMEngine's visualizers and backends (found through the parent
registries); this package is the ``locations=`` entry where project-specific ones would register."""
