"""The alert settings (`alerts.yaml`): channels, monitors and budget owners. Pydantic models with extra fields
forbidden; errors name the file, the monitor, channel or owner, and the field.

```yaml
app_url: https://finops.example.com      # links in alerts point here
resend_growth: 0.2                       # an event is sent again when its impact grew by 20%
channels:
  - name: ops-slack
    webhook: {format: slack, url_secret: FINOPS_OPS_SLACK_URL}   # slack, teams or json
    as: ops@example.com                  # optional: the channel sees what access.yaml gives this address
  - name: finance-mail
    email:
      to: [finance@example.com]
      smtp: {host: smtp.example.com, port: 587, starttls: true, from: finops@example.com, login: FINOPS_SMTP}
monitors:
  - name: Services
    dimension: ServiceName               # Total (default), a column, tag:<key> or alloc:<dimension>
    scope: {ProviderName: AWS}           # optional
    channels: [ops-slack]
budgets:
  - owner: finance@example.com           # the `owner` of budgets in budgets.yaml
    channels: [finance-mail]
holidays: {...}                          # the detector's holiday calendar (read elsewhere)
```

Credentials never live in this file: a webhook's URL (which is its secret) and an SMTP login are read from
the environment or the `[alerts]` section of `.streamlit/secrets.toml` under the names given here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analysis.anomalies.holidays import HolidayError, parse_holiday_settings
from analysis.dimensions import METRICS, TOTAL, Dimension
from analysis.links import linkable
from analysis.scope import ScopeField
from analysis.store.workspace import WorkspaceFile, yaml_syntax_error
from analysis.store.yaml_lists import check_unique, validation_problems

FILE_NAME = "alerts.yaml"
SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Keys that would hold a credential itself, and values that look like one: refused wherever they appear.
_CREDENTIAL_KEYS = re.compile(r"(?i)^(url|password|passwd|pwd|user|username|token|secret|api[_-]?key|webhook_url)$")
_CREDENTIAL_VALUE = re.compile(r"(?i)(://[^/\s]*@|hooks\.slack\.com|webhook\.office\.com|logic\.azure\.com|"
                               r"[?&](sig|token|key)=)")


class AlertsError(ValueError):
    """An invalid alerts file; the message names the file, the item and the field (never a secret's value)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _secret_name(value: str | None) -> str | None:
    if value is not None and not SECRET_NAME.match(value):
        raise ValueError("give the NAME of an environment variable or secrets.toml [alerts] key that holds the "
                         "value (letters, digits and _), never the value itself")
    return value


class Webhook(_Strict):
    """A chat or HTTP endpoint; its URL (a secret: whoever has it can post) is read from `url_secret`."""

    format: Literal["slack", "teams", "json"]
    url_secret: str

    _name = field_validator("url_secret")(_secret_name)


class Smtp(_Strict):
    """How to reach the mail server; a login's user and password come from `<login>_USER`, `<login>_PASSWORD`."""

    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = False
    sender: str = Field("finops@localhost", alias="from")
    login: str | None = None
    timeout: float = Field(20, gt=0, le=300)

    _name = field_validator("login")(_secret_name)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not re.match(r"^[A-Za-z0-9.-]+$", value):
            raise ValueError("give a host name or address only (a login goes in the environment, named by 'login')")
        return value


class Email(_Strict):
    """Mail to each address in `to` (one message each: each recipient gets only what their access allows)."""

    to: tuple[str, ...] = Field(min_length=1)
    smtp: Smtp = Smtp()

    @field_validator("to", mode="before")
    @classmethod
    def _addresses(cls, value: object) -> object:
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list | tuple):
            for address in values:
                text = str(address).strip()
                local, at, host = text.partition("@")
                if not local or not at or "." not in host or any(c.isspace() for c in text):
                    raise ValueError(f"{text!r} is not an email address (name@example.com)")
            return tuple(str(a).strip().casefold() for a in values)
        return value


class Channel(_Strict):
    """A named place alerts go: a webhook or email (exactly one)."""

    name: str = Field(min_length=1, max_length=100)
    webhook: Webhook | None = None
    email: Email | None = None
    as_: str | None = Field(None, alias="as")

    @model_validator(mode="after")
    def _one_kind(self) -> Channel:
        if (self.webhook is None) == (self.email is None):
            raise ValueError("give exactly one of 'webhook' or 'email'")
        if self.email is not None and self.as_ is not None:
            raise ValueError("field as: an email channel sends each address what its own access allows; "
                             "'as' is for webhooks")
        return self

    @property
    def kind(self) -> str:
        return "webhook" if self.webhook else "email"


class Monitor(_Strict):
    """Anomaly detection on one level of the bill, as on the Anomalies page, and where its events go."""

    name: str = Field(min_length=1, max_length=100)
    dimension: str = TOTAL
    scope: ScopeField = ()
    metric: str = "EffectiveCost"
    sensitivity: float = Field(0.5, ge=0, le=1)
    min_impact: float = Field(100.0, ge=0)
    min_impact_pct: float = Field(10.0, ge=0)
    usage_only: bool = True
    channels: tuple[str, ...] = Field(min_length=1)

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"unknown metric {value!r} (one of {', '.join(METRICS)})")
        return value

    @field_validator("dimension")
    @classmethod
    def _dimension(cls, value: str) -> str:
        if value != TOTAL and not Dimension.parse(value).name:
            raise ValueError(f"{value!r} names no dimension")
        return value

    @field_validator("scope")
    @classmethod
    def _linkable(cls, value: tuple) -> tuple:
        for dimension, _ in value:
            if not linkable(dimension):
                raise ValueError(f"{dimension!r} is not a sidebar filter, so a link could not show it (use a "
                                 "provider, sub-account, service category, service, region, tag: or alloc:)")
        for kind in ("tag", "allocation"):
            if sum(Dimension.parse(d).kind == kind for d, _ in value) > 1:
                raise ValueError(f"at most one {kind} dimension (the sidebar filters one)")
        return value

    @property
    def by(self) -> tuple[str, ...]:
        """The group-by of the scan: () for the total."""
        return () if self.dimension == TOTAL else (self.dimension,)


class OwnerRoute(_Strict):
    """Where the alerts of the budgets a person or list owns go."""

    owner: str = Field(min_length=1)
    channels: tuple[str, ...] = Field(min_length=1)

    @field_validator("owner")
    @classmethod
    def _fold(cls, value: str) -> str:
        return value.strip().casefold()


class AlertsConfig(_Strict):
    """The whole file."""

    app_url: str = "http://localhost:8501"
    resend_growth: float = Field(0.2, ge=0, le=100)
    channels: tuple[Channel, ...] = ()
    monitors: tuple[Monitor, ...] = ()
    budgets: tuple[OwnerRoute, ...] = ()
    holidays: dict[str, Any] | None = None  # the detector's calendar: owned and checked by the anomalies package

    @field_validator("app_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/@]+(/\S*)?$", value):
            raise ValueError("give the app's address, http(s)://host[:port][/path], without credentials")
        return value.rstrip("/")

    def channel(self, name: str) -> Channel:
        """The channel named `name`."""
        return next(c for c in self.channels if c.name == name)

    def monitor(self, name: str) -> Monitor:
        """The monitor named `name` (KeyError naming it when there is none)."""
        for monitor in self.monitors:
            if monitor.name == name:
                return monitor
        raise KeyError(f"no monitor named {name!r} in {FILE_NAME}")


def parse_alerts(text: str, source: str = FILE_NAME) -> AlertsConfig:
    """The settings in YAML text (empty text: nothing configured); AlertsError names the item and field."""
    try:
        raw = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as problem:
        raise AlertsError(yaml_syntax_error(problem, source)) from problem
    if not isinstance(raw, dict):
        raise AlertsError(f"{source}: expected a mapping (app_url, channels, monitors, budgets)")
    sections = {"channels": ("channel", "name"), "monitors": ("monitor", "name"), "budgets": ("owner", "owner")}
    for key, (noun, name_field) in sections.items():
        items = raw.get(key) or []
        if not isinstance(items, list):
            raise AlertsError(f"{source}, field {key}: expected a list")
        for index, item in enumerate(items, start=1):
            where = _where(source, noun, item, name_field, index)
            if not isinstance(item, dict):
                raise AlertsError(f"{where}: expected a mapping of fields, found {type(item).__name__}")
            _no_credentials(item, where)
            try:
                (Channel if key == "channels" else Monitor if key == "monitors" else OwnerRoute).model_validate(item)
            except ValidationError as error:
                raise AlertsError(f"{where}, {validation_problems(error)}") from None
    _no_credentials({k: v for k, v in raw.items() if k not in (*sections, "holidays")}, source)
    try:
        config = AlertsConfig.model_validate(raw)
    except ValidationError as error:
        raise AlertsError(f"{source}, {validation_problems(error)}") from None
    _check_names(config, source)
    return config


def _where(source: str, noun: str, item: object, name_field: str, index: int) -> str:
    name = item.get(name_field) if isinstance(item, dict) else None
    return f"{source}, {noun} {name!r}" if name else f"{source}, {noun} #{index}"


def _no_credentials(item: dict, where: str, path: str = "") -> None:
    """Refuse a key that would hold a credential, or a value that looks like one (the value is never echoed)."""
    for key, value in item.items():
        field = f"{path}{key}"
        if _CREDENTIAL_KEYS.match(str(key)):
            raise AlertsError(f"{where}, field {field}: alerts.yaml never holds credentials or webhook URLs; put "
                              "the value in the environment or .streamlit/secrets.toml [alerts] and give its name "
                              "(url_secret, login)")
        if isinstance(value, dict):
            _no_credentials(value, where, f"{field}.")
        elif isinstance(value, str) and _CREDENTIAL_VALUE.search(value):
            raise AlertsError(f"{where}, field {field}: this value looks like a credential or a webhook URL; "
                              "alerts.yaml never holds one (give the name of an environment variable instead)")


def _check_names(config: AlertsConfig, source: str) -> None:
    seen: set[str] = set()
    for channel in config.channels:
        check_unique(channel.name, seen, f"{source}, channel {channel.name!r}", "channels", AlertsError)
    seen = set()
    for monitor in config.monitors:
        check_unique(monitor.name, seen, f"{source}, monitor {monitor.name!r}", "monitors", AlertsError)
    seen = set()
    for route in config.budgets:
        if route.owner in seen:
            raise AlertsError(f"{source}, owner {route.owner!r}, field owner: listed twice")
        seen.add(route.owner)
    names = {c.name for c in config.channels}
    routes = [(f"monitor {m.name!r}", m.channels) for m in config.monitors]
    routes += [(f"owner {r.owner!r}", r.channels) for r in config.budgets]
    for where, channels in routes:
        for name in channels:
            if name not in names:
                raise AlertsError(f"{source}, {where}, field channels: no channel is named {name!r} "
                                  f"(channels: {', '.join(sorted(names)) or 'none'})")


class AlertsStore(WorkspaceFile):
    """`alerts.yaml` in a workspace folder, saved through the store (compare-and-swap, history, audit)."""

    def __init__(self, workspace: Path | str):
        super().__init__(workspace, FILE_NAME)

    def config(self) -> AlertsConfig:
        """The saved settings (nothing configured when there is no file)."""
        try:
            text, _ = self.read()
        except (OSError, UnicodeDecodeError) as error:
            raise AlertsError(f"{FILE_NAME} cannot be read ({error})") from error
        return parse_alerts(text, FILE_NAME)

    def validate(self, text: str) -> None:
        """AlertsError (nothing written) when the text is not a valid alerts file, its holiday calendar
        included."""
        try:
            parse_holiday_settings(parse_alerts(text, FILE_NAME).holidays)
        except HolidayError as error:
            raise AlertsError(str(error)) from None
