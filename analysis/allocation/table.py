"""The rules of one allocation dimension as a table to edit (name, condition, owner, owner from tag), and
that table written back into the rule file's text."""

from __future__ import annotations

import json
import math

import yaml

from analysis.allocation.rules import RulesError, RuleSet, dump_rules, parse_rules

COLUMNS = ("name", "when", "owner", "owner_from_tag")


def rule_rows(rules: RuleSet, dimension: str) -> list[dict[str, str | None]]:
    """One row per rule of `dimension`, in priority order; the condition as JSON text."""
    return [{"name": r.name, "when": json.dumps(r.when.model_dump(exclude_none=True)), "owner": r.owner,
             "owner_from_tag": r.owner_from_tag} for r in rules.dimension(dimension).rules]


def with_rule_rows(text: str, dimension: str, rows: list[dict[str, object]], source: str = "rules.yaml") -> str:
    """The rule file's text with `dimension`'s rules replaced by `rows` (empty cells are left out).

    Raises RulesError naming the row and field when a condition is not JSON/YAML, or when the result is
    not a valid rule file.
    """
    raw = yaml.safe_load(text)
    rules = []
    for number, row in enumerate(rows, start=1):
        cells = {k: _cell(row.get(k)) for k in COLUMNS}
        try:
            cells["when"] = yaml.safe_load(cells["when"] or "")
        except yaml.YAMLError as error:
            raise RulesError(f"rule #{number}, field 'Condition': not valid JSON/YAML ({error})") from error
        rules.append({k: v for k, v in cells.items() if v is not None})
    next(d for d in raw["dimensions"] if d["name"] == dimension)["rules"] = rules
    candidate = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    dump_rules(parse_rules(candidate, source))  # raises RulesError naming the rule and field
    return candidate


def _cell(value: object) -> str | None:
    """A table cell as text; empty, missing and NaN (how pandas returns an empty cell) are None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None
