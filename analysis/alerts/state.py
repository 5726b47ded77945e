"""What was sent where: `alerts_sent.json` in the workspace, one entry per alert and destination.

An entry is written only after the destination accepted the message (HTTP 2xx, the mail server took it), under
a lock and atomically, one destination at a time: a run killed halfway, or a channel that failed, leaves
unsent what was not sent, and the next run sends it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

from analysis.alerts.config import AlertsError
from analysis.store.files import atomic_write, file_lock

FILE_NAME = "alerts_sent.json"


def load_sent(workspace: Path | str) -> dict[str, dict[str, dict]]:
    """Alert key -> destination -> {"impact", "at", "source"} of what was sent (empty when nothing was)."""
    path = Path(workspace) / FILE_NAME
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))["sent"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AlertsError(f"{FILE_NAME} cannot be read ({error}); move it aside to start afresh (every open "
                          "alert is then sent again)") from error


def due(sent: dict[str, dict[str, dict]], key: str, destination: str, impact: float, growth: float) -> bool:
    """True when `key` was never sent to `destination`, or its impact grew by at least `growth` (0.2 = 20%)
    since it was."""
    before = sent.get(key, {}).get(destination)
    if before is None:
        return True
    return abs(impact) >= abs(before["impact"]) * (1 + growth) and abs(impact) > abs(before["impact"])


def mark_sent(workspace: Path | str, destination: str, alerts: Iterable[tuple[str, float, str]]) -> None:
    """Record that `destination` accepted these alerts (key, impact, source: `monitor:<name>` or
    `budget:<owner>`)."""
    path = Path(workspace) / FILE_NAME
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with file_lock(path.with_name(f".{FILE_NAME}.lock")):
        sent = load_sent(workspace)
        for key, impact, source in alerts:
            sent.setdefault(key, {})[destination] = {"impact": round(float(impact), 2), "at": at, "source": source}
        atomic_write(path, json.dumps({"sent": sent}, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def last_sent(workspace: Path | str) -> dict[str, str]:
    """Source (`monitor:<name>`, `budget:<owner>`) -> when it last sent anything (ISO, UTC)."""
    latest: dict[str, str] = {}
    for destinations in load_sent(workspace).values():
        for entry in destinations.values():
            source = entry.get("source", "")
            latest[source] = max(latest.get(source, ""), entry["at"])
    return latest
