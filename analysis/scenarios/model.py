"""A scenario file (`data/workspace/scenarios/<name>.yaml`): a named, ordered list of levers on scopes of the
bill. Pydantic models with extra fields forbidden; errors name the scenario, the lever and the field."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis.scope import Scope, ScopeField, scope_yaml
from analysis.store.workspace import yaml_syntax_error

MAX_MONTHS = 24
Percent = Annotated[float, Field(ge=-100, le=10_000, allow_inf_nan=False)]
Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ScenarioError(ValueError):
    """An invalid scenario; the message names the scenario, the lever and the field."""


class _Lever(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    scope: ScopeField = ()
    start: str = Field(alias="from", description="first month the lever acts on, YYYY-MM")

    @field_validator("start", mode="before")
    @classmethod
    def _month(cls, value: object) -> str:
        if isinstance(value, dt.date):
            return f"{value:%Y-%m}"
        text = str(value).strip()
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
            raise ValueError(f"{text!r} is not a month: write YYYY-MM (e.g. 2027-03)")
        return text

    def describe(self) -> str:
        """One line for tables: what the lever does."""
        raise NotImplementedError


class Growth(_Lever):
    """The scope's monthly cost changes by `percent` from the month on (compounding monthly if asked)."""
    kind: Literal["growth"] = "growth"
    percent: Percent
    compound: Literal["none", "monthly"] = "none"

    def describe(self) -> str:
        return f"{self.percent:+g}%{' a month, compounding' if self.compound == 'monthly' else ''}"


class NewSpend(_Lever):
    """A new workload: a fixed amount a month under a provider and service."""
    kind: Literal["new_spend"] = "new_spend"
    monthly: Money
    provider: str = Field(min_length=1)
    service: str = Field(min_length=1)

    @field_validator("scope")
    @classmethod
    def _no_scope(cls, value: Scope) -> Scope:
        if value:
            raise ValueError("new spend has no scope: it appears under its provider and service")
        return value

    def describe(self) -> str:
        return f"{self.monthly:,.0f} a month under {self.provider} · {self.service}"


class Remove(_Lever):
    """A decommission: the scope's cost goes to zero."""
    kind: Literal["remove"] = "remove"

    def describe(self) -> str:
        return "cost goes to zero"


class Migrate(_Lever):
    """`percent` of the scope's cost moves to another provider or service, costing `price_ratio` times as much."""
    kind: Literal["migrate"] = "migrate"
    percent: Annotated[float, Field(gt=0, le=100)]
    to_provider: str | None = None
    to_service: str | None = None
    price_ratio: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 1.0

    @model_validator(mode="after")
    def _somewhere(self) -> Migrate:
        if not (self.to_provider or self.to_service):
            raise ValueError("field to_provider: give to_provider, to_service or both")
        return self

    def describe(self) -> str:
        where = " · ".join(filter(None, (self.to_provider, self.to_service)))
        return f"{self.percent:g}% moves to {where} at {self.price_ratio:g}x the price"


class Commitment(_Lever):
    """Cover `percent` of the scope's eligible on-demand cost with a commitment at `discount` for `term_months`."""
    kind: Literal["commitment"] = "commitment"
    percent: Annotated[float, Field(gt=0, le=100)]
    discount: Annotated[float, Field(gt=0, lt=100)]
    term_months: Annotated[int, Field(ge=1, le=60)] = 12

    def describe(self) -> str:
        return f"{self.percent:g}% of eligible cost at {self.discount:g}% off for {self.term_months} months"


class PriceChange(_Lever):
    """Unit prices of the scope's usage change by `percent` (a price list change, a negotiated rate)."""
    kind: Literal["price_change"] = "price_change"
    percent: Percent

    def describe(self) -> str:
        return f"unit prices {self.percent:+g}%"


Lever = Annotated[Growth | NewSpend | Remove | Migrate | Commitment | PriceChange, Field(discriminator="kind")]
KINDS = ("growth", "new_spend", "remove", "migrate", "commitment", "price_change")


class Scenario(BaseModel):
    """A named, ordered list of levers projected over `months` calendar months."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=120)
    months: Annotated[int, Field(ge=1, le=MAX_MONTHS)] = 12
    metric: Literal["EffectiveCost", "BilledCost"] = "EffectiveCost"
    levers: tuple[Lever, ...] = ()

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    def to_yaml(self) -> dict:
        """The scenario as written in its file."""
        out: dict = {"name": self.name, "months": self.months}
        if self.metric != "EffectiveCost":
            out["metric"] = self.metric
        out["levers"] = [_lever_yaml(lever) for lever in self.levers]
        return out


def _lever_yaml(lever: _Lever) -> dict:
    fields = lever.model_dump(by_alias=True, exclude_defaults=False)
    out = {"kind": fields.pop("kind")}
    scope = fields.pop("scope")
    if scope:
        out["scope"] = scope_yaml(scope)
    out["from"] = fields.pop("from")
    for key, value in fields.items():
        if value is not None and not (key == "compound" and value == "none"):
            out[key] = int(value) if isinstance(value, float) and value.is_integer() else value
    return out


def lever_label(index: int, lever: _Lever) -> str:
    """`lever 2 (growth)`: how messages and tables name a lever (counted from 1)."""
    return f"lever {index + 1} ({lever.kind})"


def parse_scenario(text: str, source: str = "scenario.yaml") -> Scenario:
    """A scenario from YAML text; ScenarioError names the file, the scenario, the lever and the field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScenarioError(yaml_syntax_error(error, source)) from error
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: expected a mapping with name, months and levers")
    return validate_scenario(raw, source)


def validate_scenario(fields: dict, source: str = "scenario") -> Scenario:
    """A scenario from its fields; ScenarioError names the scenario, the lever and the field."""
    name = fields.get("name")
    where = f"{source}, scenario {name!r}" if name else source
    levers = fields.get("levers") or []
    for index, lever in enumerate(levers if isinstance(levers, list) else []):
        kind = lever.get("kind") if isinstance(lever, dict) else None
        if kind not in KINDS:
            raise ScenarioError(f"{where}, lever {index + 1}, field kind: {kind!r} is not a lever kind "
                                f"(one of {', '.join(KINDS)})")
    try:
        return Scenario.model_validate(fields)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = list(item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            if loc[:1] == ["levers"] and len(loc) > 1:
                index = int(loc[1])
                kind = levers[index].get("kind")
                field = ".".join(str(p) for p in loc[3:])  # loc: levers, index, kind, field...
                problems.append(f"lever {index + 1} ({kind}), " + (f"field {field}: {message}" if field else message))
            else:
                problems.append(f"field {'.'.join(map(str, loc))}: {message}")
        raise ScenarioError(f"{where}, " + "; ".join(dict.fromkeys(problems))) from error


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML text."""
    return yaml.safe_dump(scenario.to_yaml(), sort_keys=False, allow_unicode=True)
