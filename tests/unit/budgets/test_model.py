"""The budget file: what parses, what round-trips, and error messages that name the budget and the field."""

import datetime as dt

import pytest

from analysis.budgets.model import Alert, Budget, BudgetError, dump_budgets, parse_budgets
from analysis.budgets.periods import period_of, period_of_key
from tests.conftest import ROOT

# The example in README.md, section "Budgets": the first YAML block after its heading.
README_EXAMPLE = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Budgets\n", 1)[1] \
    .split("```yaml\n", 1)[1].split("```", 1)[0]
# Every field, written in the other ways YAML allows (an unquoted `alloc:` key, block lists, fractions).
EXAMPLE = """\
budgets:
  - name: Platform team
    scope: {alloc:Team: platform}
    period: month
    amount: 200000
    alerts: [{actual: 80}, {actual: 100}, {forecast: 100}]
    owner: platform-leads@example.com
  - name: Compute in production
    scope:
      ServiceCategory: Compute
      tag:env: [prod, production]
    metric: BilledCost
    period: quarter
    fiscal_year_start: 4
    amount: 900000
    amounts:
      2027-Q3: 1000000.5
      2027-Q4: 950000
    alerts:
      - forecast: 110
"""
SHIPPED = ROOT / "data" / "workspace" / "budgets.yaml"


def _error(text: str) -> str:
    with pytest.raises(BudgetError) as error:
        parse_budgets(text)
    return str(error.value)


# ----- what parses ---------------------------------------------------------------------------
def test_the_readme_example_parses_to_two_budgets():
    team, year = parse_budgets(README_EXAMPLE)
    assert team == Budget(name="Platform team", scope=(("alloc:Team", ("platform",)),), period="month",
                          amount=120000, amounts={"2027-01": 150000}, owner="platform-leads@example.com",
                          alerts=(Alert(actual=80), Alert(actual=100), Alert(forecast=100)))
    assert team.amount_for(period_of(dt.date(2027, 1, 20), "month")) == 150000
    assert team.amount_for(period_of(dt.date(2027, 2, 1), "month")) == 120000
    assert year == Budget(name="Whole bill FY", period="year", fiscal_year_start=4, amounts={"FY2027": 15_000_000})
    assert year.period_at(dt.date(2026, 4, 1)).key == year.period_at(dt.date(2027, 3, 31)).key == "FY2027"
    assert year.amount_for(year.period_at(dt.date(2026, 11, 15))) == 15_000_000
    assert year.amount_for(year.period_at(dt.date(2026, 3, 31))) is None


def test_the_example_parses_to_two_budgets():
    team, compute = parse_budgets(EXAMPLE)
    assert team == Budget(name="Platform team", scope=(("alloc:Team", ("platform",)),), period="month",
                          amount=200000, owner="platform-leads@example.com",
                          alerts=(Alert(actual=80), Alert(actual=100), Alert(forecast=100)))
    assert [str(a) for a in team.alerts] == ["actual 80%", "actual 100%", "forecast 100%"]
    assert compute.scope == (("ServiceCategory", ("Compute",)), ("tag:env", ("prod", "production")))
    assert (compute.metric, compute.period, compute.fiscal_year_start) == ("BilledCost", "quarter", 4)
    assert compute.amount == 900000 and compute.amounts == {"2027-Q3": 1000000.5, "2027-Q4": 950000}
    assert compute.owner == "" and [str(a) for a in compute.alerts] == ["forecast 110%"]


def test_the_shipped_budget_file_parses():
    budgets = parse_budgets(SHIPPED.read_text(encoding="utf-8"))
    assert [b.name for b in budgets] == ["Platform team", "Data team", "Compute on AWS and Azure", "Whole bill"]
    whole = budgets[-1]
    assert whole.scope == () and whole.period == "year" and whole.fiscal_year_start == 4
    assert whole.amount is None and whole.amounts == {"FY2026": 14_000_000, "FY2027": 15_500_000}
    assert budgets[2].scope == (("ProviderName", ("AWS", "Microsoft")), ("ServiceCategory", ("Compute",)))


def test_empty_text_and_an_empty_list_are_no_budgets():
    assert parse_budgets("") == parse_budgets("  \n") == parse_budgets("budgets: []") == []
    assert parse_budgets("budgets:\n") == []


def test_dump_and_parse_round_trip():
    budgets = [*parse_budgets(EXAMPLE), *parse_budgets(SHIPPED.read_text(encoding="utf-8"))[1:],
               Budget(name="  Spaces trimmed  ", amount=0.1, owner=" someone ")]
    text = dump_budgets(budgets)
    assert parse_budgets(text) == budgets
    assert dump_budgets(parse_budgets(text)) == text
    assert "name: Spaces trimmed\n" in text and "owner: someone\n" in text
    # Whole amounts are written as integers, and defaults are left out.
    assert "amount: 200000\n" in text and "200000.0" not in text and "1000000.5" in text
    assert text.count("metric:") == 1 and text.count("fiscal_year_start:") == 2
    assert dump_budgets([]) == "budgets: []\n"


def test_a_file_in_another_order_dumps_to_the_canonical_one():
    text = "budgets:\n- amount: 5\n  owner: me\n  name: A\n  scope: 'tag:env=prod|staging; ProviderName=AWS'\n"
    assert dump_budgets(parse_budgets(text)) == (
        "budgets:\n- name: A\n  scope:\n    ProviderName: AWS\n    tag:env:\n    - prod\n    - staging\n"
        "  period: month\n  amount: 5\n  owner: me\n")


# ----- errors name the budget and the field --------------------------------------------------
@pytest.mark.parametrize(("text", "message"), [
    ("budgets: [{name: Compute, amount: -5}]",
     "budgets.yaml, budget 'Compute', field amount: Input should be greater than or equal to 0"),
    ("budgets: [{name: Compute, amount: .inf}]", "budgets.yaml, budget 'Compute', field amount: Input should be a finite number"),
    ("budgets: [{name: Compute, amounts: {2027-01: .nan}}]",
     "budgets.yaml, budget 'Compute', field amounts.2027-01: Input should be a finite number"),
    ("budgets: [{name: Compute, amounts: {2027-01: 10, 2027-02: -5}}]",
     "budgets.yaml, budget 'Compute', field amounts: the amount for 2027-02 is negative (-5)"),
    ("budgets: [{name: Compute, period: month, amounts: {2027-Q1: 10}}]",
     ("budgets.yaml, budget 'Compute', field amounts: period key '2027-Q1' does not name a month: "
     "write YYYY-MM (e.g. 2027-01)")),
    ("budgets: [{name: Compute, period: year, amounts: {FY2027: 10, 2027-Q1: 10}}]",
     ("budgets.yaml, budget 'Compute', field amounts: period key '2027-Q1' does not name a year: "
     "write FYYYYY (e.g. FY2027)")),
    ("budgets: [{name: Compute, amount: 1, alerts: [{actual: 80}, {actual: 80, forecast: 100}]}]",
     ("budgets.yaml, budget 'Compute', field alerts.1: give exactly one of 'actual' or 'forecast' "
     "(a percent of the amount)")),
    ("budgets: [{name: Compute, amount: 1, alerts: [{}]}]",
     ("budgets.yaml, budget 'Compute', field alerts.0: give exactly one of 'actual' or 'forecast' "
     "(a percent of the amount)")),
    ("budgets: [{name: Compute, amount: 1, alerts: [{actual: 0}]}]",
     "budgets.yaml, budget 'Compute', field alerts.0.actual: Input should be greater than 0"),
    ("budgets: [{name: Compute, amount: 1, colour: red}]",
     "budgets.yaml, budget 'Compute', field colour: Extra inputs are not permitted"),
    ("budgets: [{name: Compute, amount: 1, alerts: [{actual: 80, at: 9am}]}]",
     "budgets.yaml, budget 'Compute', field alerts.0.at: Extra inputs are not permitted"),
    ("budgets: [{name: Compute, owner: me}]",
     "budgets.yaml, budget 'Compute', field amount: give 'amount' (every period) or 'amounts' (per period key)"),
    ("budgets: [{name: Compute, amount: 1, period: week}]",
     "budgets.yaml, budget 'Compute', field period: Input should be 'month', 'quarter' or 'year'"),
    ("budgets: [{name: Compute, amount: 1, metric: ListCost}]",
     "budgets.yaml, budget 'Compute', field metric: Input should be 'EffectiveCost' or 'BilledCost'"),
    ("budgets: [{name: Compute, amount: 1, fiscal_year_start: 13}]",
     "budgets.yaml, budget 'Compute', field fiscal_year_start: Input should be less than or equal to 12"),
    ("budgets: [{name: Compute, amount: 1, scope: ServiceCategory}]",
     "budgets.yaml, budget 'Compute', field scope: 'ServiceCategory' is not written dimension=value"),
    ("budgets: [{name: A, amount: 1}, {amount: 1}]", "budgets.yaml, budget #2, field name: Field required"),
    ("budgets: [{name: A, amount: 1}, Compute]", "budgets.yaml, budget #2: expected a mapping of fields, found str"),
])
def test_errors_name_the_budget_and_the_field(text, message):
    assert _error(text) == message


def test_several_problems_of_one_budget_are_all_listed():
    message = _error("budgets: [{name: Compute, amount: -1, period: week, colour: red}]")
    assert message.startswith("budgets.yaml, budget 'Compute', ")
    for part in ("field amount: Input should be greater", "field period: Input should be", "field colour: Extra"):
        assert part in message


def test_names_are_unique_ignoring_case():
    message = _error("budgets:\n- {name: Compute, amount: 1}\n- {name: Storage, amount: 1}\n"
                     "- {name: ' COMPUTE ', amount: 2}\n")
    assert message == "budgets.yaml, budget ' COMPUTE ', field name: two budgets are named 'COMPUTE'; names must be unique"


def test_bad_yaml_names_the_line():
    text = "budgets:\n- name: Compute\n  amount: 10\n  owner: a: b\n- name: Storage\n  amount: 5\n"
    message = _error(text)
    assert message.startswith("budgets.yaml: YAML syntax error at line 4, column 11: ")
    assert "mapping values are not allowed here" in message
    with pytest.raises(BudgetError, match=r"^team-budgets\.yaml: YAML syntax error at line 2, column 1: .*\\t"):
        parse_budgets("budgets:\n\tname: A\n", "team-budgets.yaml")  # a tab indents nothing in YAML


@pytest.mark.parametrize("text", ["- name: Compute\n  amount: 1\n", "budget: []\n", "budgets: []\nowner: me\n",
                                  "budgets: {name: Compute}\n", "just text\n", "42\n"])
def test_a_wrong_top_level_shape_is_refused(text):
    assert _error(text) == "budgets.yaml: expected a mapping with one key, 'budgets', holding a list of budgets"


# ----- amounts per period --------------------------------------------------------------------
def test_a_planned_amount_overrides_the_amount_of_every_period():
    (budget,) = parse_budgets("budgets: [{name: Compute, amount: 100, amounts: {2026-11: 250, 2027-01: 0}}]")
    assert budget.amount_for(period_of(dt.date(2026, 11, 16), "month")) == 250
    assert budget.amount_for(period_of(dt.date(2026, 12, 31), "month")) == 100
    assert budget.amount_for(period_of(dt.date(2027, 1, 5), "month")) == 0  # planned zero is an amount
    assert budget.period_at(dt.date(2026, 11, 16)) == period_of(dt.date(2026, 11, 1), "month")


def test_a_period_without_an_amount_has_none():
    (year,) = parse_budgets("budgets: [{name: Bill, period: year, fiscal_year_start: 4, "
                            "amounts: {FY2026: 14000000, FY2027: 15500000}}]")
    assert year.period_at(dt.date(2026, 11, 16)).key == "FY2027"
    assert year.amount_for(year.period_at(dt.date(2026, 11, 16))) == 15_500_000
    assert year.amount_for(year.period_at(dt.date(2026, 3, 31))) == 14_000_000
    assert year.amount_for(year.period_at(dt.date(2027, 4, 1))) is None  # FY2028: nothing planned
    (quarter,) = parse_budgets("budgets: [{name: Q, period: quarter, fiscal_year_start: 4, amounts: {2027-Q3: 7}}]")
    assert quarter.amount_for(period_of_key("2027-Q3", "quarter", 4)) == 7
    assert quarter.amount_for(quarter.period_at(dt.date(2026, 12, 31))) == 7  # Oct-Dec 2026 is FY2027 Q3
    assert quarter.amount_for(quarter.period_at(dt.date(2027, 1, 1))) is None
