"""Allocation rules: validation messages, first match wins, shared splits, and the invariant."""

import datetime as dt
import json

import hypothesis.strategies as st
import ibis
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from analysis.allocation.rules import RulesError, parse_rules
from analysis.allocation.split import allocate, by_owner, load_metric_table
from analysis.store.cache import to_cache_frame

CON = ibis.duckdb.connect()


def _table(rows: list[dict]) -> ibis.Table:
    frame = pd.DataFrame(rows)
    frame["ChargePeriodStart"] = pd.to_datetime(frame["day"], utc=True)
    cached, _ = to_cache_frame(frame.drop(columns=["day"]), "test")
    cached["ChargeDate"] = cached["ChargeDate"].dt.date
    name = f"t{abs(hash(json.dumps(rows, default=str)))}"
    CON.con.register(name, pa.Table.from_pandas(cached, preserve_index=False))
    return CON.table(name)


ROWS = [
    {"day": "2026-01-01", "ServiceName": "Amazon EC2", "SubAccountName": "prod", "EffectiveCost": 100.0,
     "BilledCost": 100.0, "Tags": '{"team":"payments","env":"prod"}'},
    {"day": "2026-01-02", "ServiceName": "Amazon EC2", "SubAccountName": "prod", "EffectiveCost": 300.0,
     "BilledCost": 300.0, "Tags": '{"Team":"search","env":"Prod"}'},
    {"day": "2026-01-01", "ServiceName": "AWS Support (Business)", "SubAccountName": "prod",
     "EffectiveCost": 40.0, "BilledCost": 40.0, "Tags": None},
    {"day": "2026-01-05", "ServiceName": "Amazon S3", "SubAccountName": "sandbox", "EffectiveCost": 10.0,
     "BilledCost": 10.0, "Tags": None},
    {"day": "2026-02-01", "ServiceName": "AWS Support (Business)", "SubAccountName": "prod",
     "EffectiveCost": 40.0, "BilledCost": 40.0, "Tags": None},
]
RULES = """
dimensions:
  - name: Team
    value_map: {env: {Prod: production, prod: production}}
    rules:
      - {name: Team tag, when: {tag: team, present: true}, owner_from_tag: team}
      - {name: Sandbox, when: {column: SubAccountName, equals: sandbox}, owner: lab}
shared:
  - {name: Support, dimension: Team, when: {column: ServiceName, prefix: AWS Support}, split: proportional}
"""


def test_rules_tags_and_proportional_split():
    long = allocate(_table(ROWS), parse_rules(RULES), "Team")
    jan = by_owner(long[long["month"] == "2026-01-01"]).set_index("owner")
    # Support (40) split 100:300:10 among payments, search, lab; case-insensitive tag key `Team`.
    assert jan.loc["payments", "direct"] == 100 and jan.loc["payments", "shared"] == pytest.approx(40 * 100 / 410)
    assert jan.loc["search", "total"] == pytest.approx(300 + 40 * 300 / 410)
    # February has support but no direct cost: it goes to Unallocated, never dropped.
    feb = long[long["month"] == "2026-02-01"]
    assert list(feb["owner"]) == ["Unallocated"] and feb["cost"].sum() == 40


def test_first_match_wins_and_value_map():
    rules = parse_rules("""
dimensions:
  - name: Env
    value_map: {env: {Prod: production, prod: production}}
    rules:
      - {name: EC2 first, when: {column: ServiceName, equals: Amazon EC2}, owner: compute}
      - {name: Env tag, when: {tag: env, one_of: [production]}, owner_from_tag: env}
""")
    totals = allocate(_table(ROWS), rules, "Env").groupby("owner")["cost"].sum()
    assert totals["compute"] == 400 and "production" not in totals and totals["Unallocated"] == 90


def test_fixed_and_metric_splits(tmp_path):
    table = tmp_path / "headcount.csv"
    table.write_text("month,owner,value\n2026-01,payments,3\n2026-01,search,1\n2026-02,payments,1\n")
    rules = parse_rules(RULES.replace("split: proportional", "split: metric, metric_file: headcount.csv"))
    long = allocate(_table(ROWS), rules, "Team", metrics={"Support": load_metric_table(table)})
    shared = long[long["kind"] == "shared"].set_index(["month", "owner"])["cost"]
    assert shared[(pd.Timestamp("2026-01-01"), "payments")] == 30 and shared[(pd.Timestamp("2026-02-01"), "payments")] == 40
    fixed = parse_rules(RULES.replace("split: proportional", "split: fixed, percentages: {payments: 25, search: 75}"))
    shared = allocate(_table(ROWS), fixed, "Team").query("kind == 'shared'").groupby("owner")["cost"].sum()
    assert shared["search"] == 60 and shared["payments"] == 20


def test_untagged_cost_can_be_shared():
    rules = parse_rules(RULES.replace("{column: ServiceName, prefix: AWS Support}", "{column: Tags, present: false}")
                        .replace("split: proportional", "split: even"))
    long = allocate(_table(ROWS), rules, "Team")
    jan = long[long["month"] == "2026-01-01"]
    # Untagged January cost (support 40 + sandbox S3 10) is split evenly between payments and search.
    shared = jan[jan["kind"] == "shared"].set_index("owner")["cost"]
    assert shared.to_dict() == {"payments": 25.0, "search": 25.0}
    assert jan["cost"].sum() == 450


@pytest.mark.parametrize(("text", "message"), [
    ("dimensions: [{name: T, rules: [{name: R1, when: {column: X, regex: '('}, owner: a}]}]",
     "rules.yaml: dimensions → 'T' → rules → 'R1' → when: invalid regex '('"),
    ("dimensions: [{name: T, rules: [{name: R1, when: {column: X, regex: '(?=prod)p'}, owner: a}]}]",
     "'R1' → when: invalid regex '(?=prod)p': invalid perl operator: (?="),  # Python's re accepts it, RE2 not
    ("dimensions: [{name: T, rules: [{name: R1, when: {column: X, regex: '(a)\\1'}, owner: a}]}]",
     "invalid escape sequence"),
    ("dimensions: [{name: T, rules: [{name: R1, when: {column: X, equals: a}, owner: a, colour: red}]}]",
     "'R1' → colour: Extra inputs are not permitted"),
    (("dimensions: [{name: T}]\nshared: [{name: S, dimension: T, when: {tag: a, present: true}, split: fixed, "
      "percentages: {a: 60, b: 30}}]"), "shared → 'S': percentages must total 100, they total 90"),
    ("dimensions: [{name: T}]\nshared: [{name: S, dimension: Nope, when: {tag: a, present: true}, split: even}]",
     "dimension 'Nope' does not exist"),
    ("dimensions: [{name: T\n", "YAML syntax error at line 2"),
])
def test_invalid_rules_name_the_rule_and_field(text, message):
    with pytest.raises(RulesError) as error:
        parse_rules(text)
    assert message in str(error.value)


def test_unknown_column_tag_and_target_are_named():
    table = _table(ROWS)
    for text, message in [
        ("dimensions: [{name: T, rules: [{name: R1, when: {column: Colour, equals: a}, owner: a}]}]",
         "rule 'R1', field 'when': column 'Colour' does not exist"),
        ("dimensions: [{name: T, rules: [{name: R1, when: {tag: owner, present: true}, owner: a}]}]",
         "rule 'R1', field 'when': tag 'owner' does not exist"),
        (RULES.replace("split: proportional", "split: even, targets: [payments, nobody]"),
         "shared cost 'Support', field 'targets': owner 'nobody' does not exist"),
    ]:
        with pytest.raises(RulesError, match=message):
            allocate(table, parse_rules(text), "T" if "name: T," in text else "Team")


def test_metric_table_problems_are_named(tmp_path):
    bad = tmp_path / "requests.csv"
    bad.write_text("month,owner,value\n2026-01,a,-5\n")
    with pytest.raises(RulesError, match="requests.csv, column value: not a number of zero or more in rows 2"):
        load_metric_table(bad)
    rules = parse_rules(RULES.replace("split: proportional", "split: metric, metric_file: requests.csv"))
    bad.write_text("month,owner,value\n2026-01,payments,5\n")
    with pytest.raises(RulesError, match="has no values for 2026-02"):
        allocate(_table(ROWS), rules, "Team", metrics={"Support": load_metric_table(bad)})


owners = st.sampled_from(["a", "b", "c", None])
rows = st.lists(
    st.fixed_dictionaries({
        "day": st.dates(dt.date(2026, 1, 1), dt.date(2026, 4, 30)).map(str),
        "ServiceName": st.sampled_from(["Amazon EC2", "AWS Support", "Tax", "Amazon S3"]),
        "SubAccountName": st.sampled_from(["prod", "shared", "sandbox"]),
        "EffectiveCost": st.floats(-500, 5000, allow_nan=False).map(lambda v: round(v, 2)),
        "BilledCost": st.floats(-500, 5000, allow_nan=False).map(lambda v: round(v, 2)),
        "Tags": owners.map(lambda o: json.dumps({"team": o}) if o else None),
    }),
    min_size=1, max_size=40,
)
conditions = st.sampled_from([
    "{tag: team, present: true}", "{tag: team, present: false}", "{column: ServiceName, prefix: Amazon}",
    "{column: SubAccountName, one_of: [prod, shared]}", "{column: ServiceName, regex: '^(Tax|AWS)'}",
    "{any: [{column: ServiceName, equals: Tax}, {tag: team, equals: b}]}",
    "{all: [{column: SubAccountName, equals: prod}, {tag: team, present: true}]}",
])
assignments = st.sampled_from(["owner: a", "owner: b", "owner: c", "owner_from_tag: team"])
rule_lists = st.lists(st.tuples(conditions, assignments), max_size=4).map(
    lambda rules: "[" + ", ".join(f"{{name: r{i}, when: {c}, {a}}}" for i, (c, a) in enumerate(rules)) + "]")
splits = st.sampled_from(["split: even", "split: proportional", "split: fixed, percentages: {a: 50, b: 50}"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows, rules=rule_lists, pick=conditions, split=splits, shared=st.booleans(),
       metric=st.sampled_from(["EffectiveCost", "BilledCost"]))
def test_allocated_totals_equal_source_totals_per_month(rows, rules, pick, split, shared, metric):
    rows = rows + [{"day": "2026-01-01", "ServiceName": "Amazon EC2", "SubAccountName": "prod",
                    "EffectiveCost": 0.0, "BilledCost": 0.0, "Tags": '{"team": "a"}'},
                   {"day": "2026-01-01", "ServiceName": "Amazon EC2", "SubAccountName": "prod",
                    "EffectiveCost": 0.0, "BilledCost": 0.0, "Tags": '{"team": "b"}'}]
    text = f"dimensions: [{{name: Team, rules: {rules}}}]\n"
    if shared:
        text += f"shared: [{{name: S, dimension: Team, when: {pick}, {split}}}]\n"
    try:
        long = allocate(_table(rows), parse_rules(text), "Team", metric)
    except RulesError as error:  # fixed targets a/b may not exist when no rule produces them
        assert "does not exist" in str(error) and "fixed" in split
        return
    source = pd.DataFrame(rows).assign(month=lambda f: f["day"].str[:7]).groupby("month")[metric].sum()
    got = long.assign(month=long["month"].dt.strftime("%Y-%m")).groupby("month")["cost"].sum()
    pd.testing.assert_series_equal(got.reindex(source.index).fillna(0.0).round(2), source.round(2), check_names=False)


def test_the_rule_table_round_trips_with_empty_cells_as_pandas_returns_them():
    from analysis.allocation.table import rule_rows, with_rule_rows

    text = RULES
    rules = parse_rules(text)
    dimension = rules.dimensions[0].name
    frame = pd.DataFrame(rule_rows(rules, dimension))  # empty cells come back as NaN from the editor
    assert frame.isna().any().any()
    again = parse_rules(with_rule_rows(text, dimension, frame.to_dict("records")))
    assert again.dimension(dimension) == rules.dimension(dimension)
    frame.loc[0, "when"] = "{column: ServiceName"
    with pytest.raises(RulesError, match="rule #1, field 'Condition': not valid JSON/YAML"):
        with_rule_rows(text, dimension, frame.to_dict("records"))
