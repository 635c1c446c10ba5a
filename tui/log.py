"""Voxroom's log: one private file in the data dir (``voxroom.log``, 0600, rotated at 1 MB), where the
app records what it could not do (a worker's unexpected error, with its traceback). Nothing is logged
to the terminal: the app owns the screen."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

LOG_FILE = "voxroom.log"


class _PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """Every file it opens (the log, and each one after a rotation) is created 0600."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding)


def start_file_log(data_dir: Path) -> Path | None:
    """Send the ``voxroom`` logger to ``data_dir/voxroom.log``; ``None`` if the folder cannot be written."""
    path = Path(data_dir) / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = _PrivateRotatingFile(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
        os.chmod(path, 0o600)
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("voxroom")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    logger.propagate = False
    return path
