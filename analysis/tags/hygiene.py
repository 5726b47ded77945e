"""Tag hygiene: keys that look like one key written in different ways."""

from __future__ import annotations

from collections.abc import Iterable


def similar_keys(keys: Iterable[str]) -> list[list[str]]:
    """Groups of two or more keys that differ only in case, spaces or separators (`cost-center`,
    `costcenter`, `Cost_Center`), each sorted, largest groups first."""
    groups: dict[str, set[str]] = {}
    for key in keys:
        folded = "".join(ch for ch in key.casefold() if ch.isalnum())
        groups.setdefault(folded, set()).add(key)
    found = [sorted(g) for g in groups.values() if len(g) > 1]
    return sorted(found, key=lambda g: (-len(g), g))
