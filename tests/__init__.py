"""Voxroom's test suite (a package so helpers such as ``tests.standin`` can be imported)."""
