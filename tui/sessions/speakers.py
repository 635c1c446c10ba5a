"""Names given to speakers, remembered across sessions (``<data dir>/known_speakers.json``) and
offered again as suggestions when naming ``speaker_N`` in a later session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tui.fsutil import MAX_JSON_BYTES, UnreadableFile, atomic_write, make_private_dir, read_json
from tui.sessions.model import MAX_SHORT, now_iso
from tui.text import clean

MAX_KNOWN = 500


class KnownSpeakers:
    """A small best-effort file: a damaged one is simply started afresh (it only holds suggestions)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = read_json(self.path, MAX_JSON_BYTES, within=self.path.parent)
        except UnreadableFile:
            return {}
        names = data.get("names") if isinstance(data, dict) else None
        if not isinstance(names, dict):
            return {}
        out: dict[str, dict[str, Any]] = {}
        for name, info in list(names.items())[:MAX_KNOWN]:
            if not isinstance(name, str) or not isinstance(info, dict):
                continue
            count = info.get("count")
            out[clean(name)[:MAX_SHORT]] = {
                "count": count if isinstance(count, int) and not isinstance(count, bool) else 1,
                "last": str(info.get("last") or ""),
            }
        return out

    def names(self) -> list[str]:
        """Every remembered name, most recently used first."""
        data = self._load()
        return sorted(data, key=lambda n: (data[n]["last"], data[n]["count"]), reverse=True)

    def suggestions(self, prefix: str = "", limit: int = 10) -> list[str]:
        """Remembered names starting with ``prefix`` (case-insensitive), most recently used first."""
        wanted = prefix.casefold().strip()
        return [n for n in self.names() if n.casefold().startswith(wanted)][:limit]

    def remember(self, name: str) -> None:
        name = clean(name).strip()[:MAX_SHORT]
        if not name:
            return
        data = self._load()
        entry = data.get(name, {"count": 0, "last": ""})
        data[name] = {"count": int(entry["count"]) + 1, "last": now_iso()}
        if len(data) > MAX_KNOWN:
            keep = sorted(data, key=lambda n: data[n]["last"], reverse=True)[:MAX_KNOWN]
            data = {n: data[n] for n in keep}
        make_private_dir(self.path.parent)
        body = json.dumps({"version": 1, "names": data}, ensure_ascii=False, indent=1)
        atomic_write(self.path, body.encode("utf-8"))
