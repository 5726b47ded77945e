"""The allocation rule file: pydantic models with extra fields forbidden, loaded from YAML.

A rule set has one or more dimensions (e.g. CostCenter, Product), each an ordered rule list where
the first match wins; cost no rule matches goes to the dimension's Unallocated owner. Shared-cost
rules then split picked charges among owners per month.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import duckdb
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from analysis.store.workspace import yaml_syntax_error


class RulesError(ValueError):
    """An invalid rule file; the message names the rule and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """A test on one FOCUS column or one tag key (tag keys match case-insensitively)."""

    column: str | None = None
    tag: str | None = None
    equals: str | None = None
    one_of: list[str] | None = None
    regex: str | None = None
    prefix: str | None = None
    present: bool | None = None

    @model_validator(mode="after")
    def _one_target_one_test(self) -> Match:
        if (self.column is None) == (self.tag is None):
            raise ValueError("give exactly one of 'column' or 'tag'")
        tests = [n for n in ("equals", "one_of", "regex", "prefix", "present") if getattr(self, n) is not None]
        if len(tests) != 1:
            raise ValueError("give exactly one test: equals, one_of, regex, prefix or present (true/false)")
        if self.regex is not None:
            problem = regex_problem(self.regex)
            if problem:
                raise ValueError(f"invalid regex {self.regex!r}: {problem}")
        return self


def regex_problem(pattern: str) -> str | None:
    """Why the query engine cannot run this regex (RE2 syntax, as DuckDB uses), or None when it can.

    Python's `re` accepts look-arounds and back-references that RE2 refuses, so the engine itself checks.
    """
    with duckdb.connect() as con:
        try:
            con.execute("SELECT regexp_matches('', ?)", [pattern])
        except duckdb.Error as error:
            return str(error).removeprefix("Invalid Input Error: ")
    return None


class AllOf(_Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(_Strict):
    any: list[Condition] = Field(min_length=1)


def _condition_kind(value: object) -> str:
    keys = value.keys() if isinstance(value, dict) else type(value).model_fields
    return "AllOf" if "all" in keys else "AnyOf" if "any" in keys else "Match"


Condition = Annotated[
    Annotated[Match, Tag("Match")] | Annotated[AllOf, Tag("AllOf")] | Annotated[AnyOf, Tag("AnyOf")],
    Discriminator(_condition_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()


class Rule(_Strict):
    """`when` the condition holds, the cost goes to `owner`, or to the value of tag `owner_from_tag`."""

    name: str = Field(min_length=1)
    when: Condition
    owner: str | None = Field(default=None, min_length=1)
    owner_from_tag: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_assignment(self) -> Rule:
        if (self.owner is None) == (self.owner_from_tag is None):
            raise ValueError("give exactly one of 'owner' or 'owner_from_tag'")
        return self


class Dimension(_Strict):
    """One allocation dimension: ordered rules, value maps for tag spellings, the Unallocated owner."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    rules: list[Rule] = Field(default_factory=list)
    value_map: dict[str, dict[str, str]] = Field(default_factory=dict)  # tag key -> {spelling: value}
    unallocated: str = "Unallocated"

    @field_validator("value_map")
    @classmethod
    def _lower_keys(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        return {k.lower(): v for k, v in value.items()}

    @model_validator(mode="after")
    def _unique_rule_names(self) -> Dimension:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"rule name {rule.name!r} is used twice")
            seen.add(rule.name)
        return self


class SharedCost(_Strict):
    """Charges picked by `when` are split among owners of `dimension` per month."""

    name: str = Field(min_length=1)
    dimension: str
    when: Condition
    split: Literal["even", "proportional", "fixed", "metric"]
    targets: list[str] | None = None  # owners that share it; default: every owner with direct cost
    percentages: dict[str, float] | None = None  # split: fixed
    metric_file: str | None = None  # split: metric — CSV of month, owner, value

    @model_validator(mode="after")
    def _split_settings(self) -> SharedCost:
        if self.split == "fixed":
            if not self.percentages:
                raise ValueError("split 'fixed' needs 'percentages'")
            total = sum(self.percentages.values())
            if abs(total - 100) > 1e-6:
                raise ValueError(f"percentages must total 100, they total {total:g}")
            if any(p < 0 for p in self.percentages.values()):
                raise ValueError("percentages must not be negative")
        elif self.percentages is not None:
            raise ValueError(f"'percentages' only applies to split 'fixed', not {self.split!r}")
        if (self.split == "metric") != (self.metric_file is not None):
            raise ValueError("split 'metric' needs 'metric_file' (and only it uses one)")
        return self


class RuleSet(_Strict):
    """A whole allocation file."""

    version: Literal[1] = 1
    dimensions: list[Dimension] = Field(min_length=1)
    shared: list[SharedCost] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> RuleSet:
        names = [d.name for d in self.dimensions]
        if len(set(names)) != len(names):
            raise ValueError("dimension names must be unique")
        for item in self.shared:
            if item.dimension not in names:
                raise ValueError(f"shared cost {item.name!r}: dimension {item.dimension!r} does not exist "
                                 f"(dimensions: {', '.join(names)})")
        return self

    def dimension(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)


def _where(rules: dict, location: tuple) -> str:
    """Turn a pydantic error location into words naming the rule and the field."""
    parts, node = [], rules
    for step in location:
        if step in ("Match", "AllOf", "AnyOf"):  # discriminator tags, not fields
            continue
        if isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
            label = node.get("name") if isinstance(node, dict) else None
            parts.append(f"{label!r}" if label else f"#{step + 1}")
        elif isinstance(node, dict) and isinstance(step, str):
            parts.append(step)
            node = node.get(step, {})
        else:
            parts.append(str(step))
    return " → ".join(parts) or "file"


def parse_rules(text: str, source: str = "rules.yaml") -> RuleSet:
    """Parse and validate rule YAML; errors name the file, the rule and the field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RulesError(yaml_syntax_error(error, source)) from error
    if not isinstance(raw, dict):
        raise RulesError(f"{source}: expected a mapping with 'dimensions' at the top")
    try:
        return RuleSet.model_validate(raw)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{_where(raw, tuple(item['loc']))}: {message}")
        raise RulesError(f"{source}: " + "; ".join(dict.fromkeys(problems))) from error


def load_rules(path: Path | str) -> RuleSet:
    """Read a rule file from disk."""
    path = Path(path)
    return parse_rules(path.read_text(), path.name)


def dump_rules(rules: RuleSet) -> str:
    """The rule set as YAML text (stable key order, no empty fields)."""
    return yaml.safe_dump(rules.model_dump(exclude_none=True, exclude_defaults=False), sort_keys=False,
                          allow_unicode=True)
