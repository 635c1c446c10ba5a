"""`voxroom transcribe` (not written yet)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("transcribe", help="(not written yet)")
