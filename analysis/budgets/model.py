"""The budget file (`budgets.yaml`): pydantic models with extra fields forbidden; errors name the budget
and the field."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis.budgets.periods import BudgetPeriod, PeriodKind, period_of, period_of_key
from analysis.scope import ScopeField, scope_yaml
from analysis.store.yaml_lists import check_unique, named_items, validation_problems

FILE_NAME = "budgets.yaml"


class BudgetError(ValueError):
    """An invalid budget file or budget; the message names the budget (or row) and the field."""


class Alert(BaseModel):
    """A threshold in percent of the amount, on actual spend to date or on the forecast for the period end."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    actual: float | None = Field(None, gt=0, le=1000)
    forecast: float | None = Field(None, gt=0, le=1000)

    @model_validator(mode="after")
    def _one(self) -> Alert:
        if (self.actual is None) == (self.forecast is None):
            raise ValueError("give exactly one of 'actual' or 'forecast' (a percent of the amount)")
        return self

    @property
    def on(self) -> Literal["actual", "forecast"]:
        return "actual" if self.actual is not None else "forecast"

    @property
    def percent(self) -> float:
        return self.actual if self.actual is not None else self.forecast  # type: ignore[return-value]

    def __str__(self) -> str:
        return f"{self.on} {self.percent:g}%"


class Budget(BaseModel):
    """A named amount per period on a scope of the bill."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=200)
    scope: ScopeField = ()
    metric: Literal["EffectiveCost", "BilledCost"] = "EffectiveCost"
    period: PeriodKind = "month"
    fiscal_year_start: int = Field(1, ge=1, le=12)
    amount: float | None = Field(None, ge=0, allow_inf_nan=False)
    amounts: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = {}
    alerts: tuple[Alert, ...] = ()
    owner: str = ""

    @field_validator("name", "owner")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("amounts")
    @classmethod
    def _no_negative(cls, value: dict[str, float]) -> dict[str, float]:
        for key, amount in value.items():
            if amount < 0:
                raise ValueError(f"the amount for {key} is negative ({amount:g})")
        return value

    @model_validator(mode="after")
    def _keys_fit_the_period(self) -> Budget:
        if self.amount is None and not self.amounts:
            raise ValueError("field amount: give 'amount' (every period) or 'amounts' (per period key)")
        for key in self.amounts:
            try:
                period_of_key(key, self.period, self.fiscal_year_start)
            except ValueError as error:
                raise ValueError(f"field amounts: {error}") from error
        return self

    def period_at(self, day: dt.date) -> BudgetPeriod:
        """The budget period holding `day`."""
        return period_of(day, self.period, self.fiscal_year_start)

    def amount_for(self, period: BudgetPeriod) -> float | None:
        """The planned amount of `period`, else the amount for every period, else None."""
        for key, amount in self.amounts.items():
            if period_of_key(key, self.period, self.fiscal_year_start).key == period.key:
                return amount
        return self.amount

    def to_yaml(self) -> dict:
        """The budget as written in budgets.yaml (defaults left out)."""
        out: dict = {"name": self.name}
        if self.scope:
            out["scope"] = scope_yaml(self.scope)
        if self.metric != "EffectiveCost":
            out["metric"] = self.metric
        out["period"] = self.period
        if self.fiscal_year_start != 1:
            out["fiscal_year_start"] = self.fiscal_year_start
        if self.amount is not None:
            out["amount"] = _number(self.amount)
        if self.amounts:
            out["amounts"] = {k: _number(v) for k, v in self.amounts.items()}
        if self.alerts:
            out["alerts"] = [{a.on: _number(a.percent)} for a in self.alerts]
        if self.owner:
            out["owner"] = self.owner
        return out


def _number(value: float) -> int | float:
    """Whole amounts as integers in the file (120000, not 120000.0)."""
    return int(value) if float(value).is_integer() else value


def parse_budgets(text: str, source: str = FILE_NAME) -> list[Budget]:
    """Budgets from YAML text (empty text: none); BudgetError names the file, the budget and the field."""
    budgets: list[Budget] = []
    seen: set[str] = set()
    for where, item in named_items(text, source, "budgets", "budget", BudgetError):
        budgets.append(validate_budget(item, where))
        check_unique(budgets[-1].name, seen, where, "budgets", BudgetError)
    return budgets


def validate_budget(fields: dict, where: str) -> Budget:
    """One budget from its fields; BudgetError starts with `where` and names the field."""
    try:
        return Budget.model_validate(fields)
    except ValidationError as error:
        raise BudgetError(f"{where}, {validation_problems(error)}") from error


def dump_budgets(budgets: list[Budget]) -> str:
    """The budgets as budgets.yaml text."""
    return yaml.safe_dump({"budgets": [b.to_yaml() for b in budgets]}, sort_keys=False, allow_unicode=True)
