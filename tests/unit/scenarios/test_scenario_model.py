"""A scenario file: the issue's example parses to the levers it says; every lever kind survives a dump and a
parse; and an invalid file is refused with a message naming the file, the scenario, the lever and the field."""

import pytest

from analysis.scenarios.model import (
    Commitment,
    Growth,
    Migrate,
    NewSpend,
    PriceChange,
    Remove,
    Scenario,
    ScenarioError,
    dump_scenario,
    lever_label,
    parse_scenario,
    validate_scenario,
)

EXAMPLE = """\
name: Compute +30%
months: 12
levers:
- kind: growth
  scope: {ServiceCategory: Compute}
  percent: 30
  from: 2027-03
- kind: new_spend
  monthly: 12000
  provider: AWS
  service: Amazon S3
  from: 2027-01
"""


def test_the_issues_example_parses_to_its_two_levers():
    scenario = parse_scenario(EXAMPLE)
    assert (scenario.name, scenario.months, scenario.metric) == ("Compute +30%", 12, "EffectiveCost")
    growth, spend = scenario.levers
    assert growth == Growth(scope={"ServiceCategory": "Compute"}, percent=30, start="2027-03")
    assert growth.scope == (("ServiceCategory", ("Compute",)),) and growth.compound == "none"
    assert spend == NewSpend(monthly=12_000, provider="AWS", service="Amazon S3", start="2027-01")
    assert spend.scope == ()
    assert [lever_label(i, lever) for i, lever in enumerate(scenario.levers)] == [
        "lever 1 (growth)", "lever 2 (new_spend)"]
    assert growth.describe() == "+30%" and spend.describe() == "12,000 a month under AWS · Amazon S3"


EVERY_KIND = Scenario(name="Every lever", months=24, metric="BilledCost", levers=(
    Growth(scope={"ServiceCategory": "Compute", "tag:env": ["prod", "staging"]}, percent=2.5, compound="monthly",
           start="2026-12"),
    NewSpend(monthly=1234.56, provider="Google Cloud", service="BigQuery", start="2027-01"),
    Remove(scope={"ServiceName": "Amazon EKS"}, start="2027-02"),
    Migrate(scope={"ProviderName": "Microsoft"}, percent=75, to_provider="AWS", to_service="Amazon EC2",
            price_ratio=0.85, start="2027-03"),
    Migrate(scope={"ServiceName": "Amazon RDS"}, percent=100, to_service="Amazon Aurora", start="2027-03"),
    Commitment(scope={"ProviderName": "AWS"}, percent=70, discount=28, term_months=36, start="2027-04"),
    PriceChange(scope={"RegionId": "eu-west-1"}, percent=-100, start="2027-05"),
    Growth(percent=-10, start="2027-06"),
))


def test_every_lever_kind_survives_a_dump_and_a_parse():
    text = dump_scenario(EVERY_KIND)
    assert parse_scenario(text) == EVERY_KIND
    assert dump_scenario(parse_scenario(text)) == text
    # The file reads as written by hand: `from` rather than the field's Python name, whole numbers without
    # a decimal point, one scope value as a string, and no fields left at their empty defaults.
    assert "from: 2026-12" in text and "start" not in text
    assert "percent: 70\n" in text and "term_months: 36" in text and "price_ratio: 0.85" in text
    assert "ServiceCategory: Compute\n" in text and "- staging" in text
    assert "compound: monthly" in text and text.count("compound") == 1
    assert "to_provider: null" not in text and "metric: BilledCost" in text


def test_a_month_written_as_a_date_is_its_month():
    scenario = parse_scenario("name: A\nlevers: [{kind: remove, scope: {ServiceName: Amazon EKS}, from: 2027-03-15}]")
    assert scenario.levers[0].start == "2027-03"


def test_validate_takes_the_fields_a_form_gives():
    scenario = validate_scenario({"name": "  Trimmed  ", "levers": [{"kind": "remove", "from": "2027-02"}]})
    assert scenario == Scenario(name="Trimmed", levers=(Remove(start="2027-02"),))
    assert scenario.months == 12


@pytest.mark.parametrize(("text", "message"), [
    ("levers: [{kind: grow, percent: 5, from: 2027-01}]",
     ("x.yaml, scenario 'A', lever 1, field kind: 'grow' is not a lever kind (one of growth, new_spend, remove, "
      "migrate, commitment, price_change)")),
    ("levers: [{kind: remove, from: 2027-01}, {percent: 5, from: 2027-01}]",
     "x.yaml, scenario 'A', lever 2, field kind: None is not a lever kind"),
    ("levers: [{kind: growth, percent: -101, from: 2027-01}]",
     "x.yaml, scenario 'A', lever 1 (growth), field percent: Input should be greater than or equal to -100"),
    ("levers: [{kind: price_change, percent: -100.5, from: 2027-01}]",
     "x.yaml, scenario 'A', lever 1 (price_change), field percent: Input should be greater than or equal to -100"),
    ("levers: [{kind: new_spend, monthly: -1, provider: AWS, service: Amazon S3, from: 2027-01}]",
     "x.yaml, scenario 'A', lever 1 (new_spend), field monthly: Input should be greater than or equal to 0"),
    ("levers: [{kind: growth, percent: 5, from: 2027-1}]",
     "x.yaml, scenario 'A', lever 1 (growth), field from: '2027-1' is not a month: write YYYY-MM (e.g. 2027-03)"),
    ("levers: [{kind: growth, percent: 5, from: 2027-13}]",
     "x.yaml, scenario 'A', lever 1 (growth), field from: '2027-13' is not a month"),
    ("months: 0", "x.yaml, scenario 'A', field months: Input should be greater than or equal to 1"),
    ("months: 25", "x.yaml, scenario 'A', field months: Input should be less than or equal to 24"),
    (("levers: [{kind: new_spend, monthly: 10, provider: AWS, service: Amazon S3, from: 2027-01, "
      "scope: {ProviderName: AWS}}]"),
     ("x.yaml, scenario 'A', lever 1 (new_spend), field scope: new spend has no scope: it appears under its "
      "provider and service")),
    ("levers: [{kind: growth, percent: 5, from: 2027-01}, {kind: migrate, percent: 50, from: 2027-01}]",
     "x.yaml, scenario 'A', lever 2 (migrate), field to_provider: give to_provider, to_service or both"),
    ("levers: [{kind: remove, from: 2027-01, colour: red}]",
     "x.yaml, scenario 'A', lever 1 (remove), field colour: Extra inputs are not permitted"),
    ("owner: me", "x.yaml, scenario 'A', field owner: Extra inputs are not permitted"),
    ("levers: [{kind: remove, from: 2027-01, scope: {ServiceCategory: []}}]",
     "x.yaml, scenario 'A', lever 1 (remove), field scope: dimension 'ServiceCategory' needs one value"),
    ("levers: [{kind: commitment, from: 2027-01, percent: 0, discount: 100}]",
     ("x.yaml, scenario 'A', lever 1 (commitment), field percent: Input should be greater than 0; "
      "lever 1 (commitment), field discount: Input should be less than 100")),
])
def test_an_invalid_scenario_names_the_scenario_the_lever_and_the_field(text, message):
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(f"name: A\n{text}", "x.yaml")
    assert str(raised.value).startswith(message)


def test_bad_yaml_names_the_file_and_the_line():
    misindented = "name: A\nlevers:\n- kind: growth\n  percent: 5\n   from: 2027-01\n"  # `from` on line 5
    with pytest.raises(ScenarioError, match=r"^x\.yaml: YAML syntax error at line 5, column 8: mapping values are "
                                            r"not allowed here$"):
        parse_scenario(misindented, "x.yaml")
    with pytest.raises(ScenarioError, match=r"^x\.yaml: YAML syntax error at line 3, column 9: "):
        parse_scenario("name: A\nmonths: 3\nlevers: : x\n", "x.yaml")


def test_a_file_that_is_not_a_mapping_or_has_no_name_is_refused():
    with pytest.raises(ScenarioError, match=r"^x\.yaml: expected a mapping with name, months and levers$"):
        parse_scenario("- kind: growth\n", "x.yaml")
    with pytest.raises(ScenarioError, match=r"^x\.yaml: expected a mapping"):
        parse_scenario("", "x.yaml")
    with pytest.raises(ScenarioError, match=r"^x\.yaml, field name: Field required$"):
        parse_scenario("months: 3\n", "x.yaml")
