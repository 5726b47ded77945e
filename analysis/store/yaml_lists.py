"""Workspace files that list named items (budgets, sources): reading the list and naming what is wrong with it.

Every message starts with where the problem is (`budgets.yaml, budget 'Cloud'`, or `#2` for an item without a
name) and names the field, so that a user can find it in the file.
"""

from __future__ import annotations

import yaml
from pydantic import ValidationError

from analysis.store.workspace import yaml_syntax_error


def named_items(text: str, source: str, key: str, noun: str, error: type[Exception]) -> list[tuple[str, dict]]:
    """The mappings listed under `key` of a workspace YAML file (empty text: none), each with where it stands;
    raises `error` for a syntax problem or a file of another shape."""
    try:
        raw = yaml.safe_load(text) if text.strip() else {key: []}
    except yaml.YAMLError as problem:
        raise error(yaml_syntax_error(problem, source)) from problem
    if not isinstance(raw, dict) or set(raw) - {key} or not isinstance(raw.get(key) or [], list):
        raise error(f"{source}: expected a mapping with one key, '{key}', holding a list of {key}")
    items = []
    for index, item in enumerate(raw.get(key) or [], start=1):
        name = item.get("name") if isinstance(item, dict) else None
        where = f"{source}, {noun} {name!r}" if name else f"{source}, {noun} #{index}"
        if not isinstance(item, dict):
            raise error(f"{where}: expected a mapping of fields, found {type(item).__name__}")
        items.append((where, item))
    return items


def check_unique(name: str, seen: set[str], where: str, key: str, error: type[Exception]) -> None:
    """Raise `error` when another item of the list (`seen`, case-folded) has this name; else remember it."""
    if name.casefold() in seen:
        raise error(f"{where}, field name: two {key} are named {name!r}; names must be unique")
    seen.add(name.casefold())


def validation_problems(error: ValidationError) -> str:
    """A pydantic error in plain words: `field amount: ...; field alerts.0: ...` (once each)."""
    out = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        field = ".".join(str(p) for p in item["loc"])
        out.append(f"field {field}: {message}" if field and not message.startswith("field ") else message)
    return "; ".join(dict.fromkeys(out))
