"""`voxroom doctor` (not written yet)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("doctor", help="(not written yet)")
