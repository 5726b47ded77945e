"""Scopes: one parser for YAML mappings and sheet cells, checked against the data, and the cost they select
(to the cent, against pandas over the sample)."""

import datetime as dt

import pytest
import yaml

from analysis.allocation.queries import with_rules
from analysis.allocation.rules import load_rules
from analysis.query import Filters, local_queries
from analysis.scope import ScopeError, describe, parse_scope, scope_problems, scope_text, scope_yaml, scoped
from tests.conftest import ROOT, tag_values

CELL = "ServiceCategory=Compute; tag:env=prod|staging"
PARSED = (("ServiceCategory", ("Compute",)), ("tag:env", ("prod", "staging")))


@pytest.fixture(scope="module")
def q(sample_cache):
    return local_queries(sample_cache)


# ----- reading -------------------------------------------------------------------------------
def test_yaml_mapping_and_cell_text_give_the_same_scope():
    from_yaml = parse_scope(yaml.safe_load("{ServiceCategory: Compute, 'tag:env': [prod, staging]}"))
    assert from_yaml == PARSED
    assert parse_scope(CELL) == PARSED
    # Spaces, a trailing separator and another key order change nothing.
    assert parse_scope("  tag:env = prod | staging ;ServiceCategory= Compute ; ") == PARSED


def test_the_whole_bill_and_repeated_values():
    assert parse_scope(None) == parse_scope("") == parse_scope({}) == ()
    assert describe(()) == "Whole bill" and scope_text(()) == "" and scope_yaml(()) == {}
    assert parse_scope("ServiceCategory=Compute|Compute") == (("ServiceCategory", ("Compute",)),)
    assert parse_scope({"RegionId": 1}) == (("RegionId", ("1",)),)  # a YAML number is a value like any other


def test_round_trip_through_cell_text_and_yaml():
    scopes = [PARSED, (("ProviderName", ("AWS", "Microsoft")),), (("tag:team", ("platform",)),),
              (("SubAccountName", ("prod-payments",)), ("tag:cost-center", ("CC-1100", "CC-1200")))]
    for scope in scopes:
        assert parse_scope(scope_text(scope)) == scope
        assert parse_scope(scope_yaml(scope)) == scope
        assert parse_scope(yaml.safe_load(yaml.safe_dump(scope_yaml(scope)))) == scope
    assert scope_text(PARSED) == CELL
    assert scope_yaml(PARSED) == {"ServiceCategory": "Compute", "tag:env": ["prod", "staging"]}
    assert describe(PARSED) == "Service category: Compute · Tag: env: prod or staging"


@pytest.mark.parametrize(("raw", "message"), [
    ("ServiceCategory", "'ServiceCategory' is not written dimension=value"),
    ("ServiceCategory=Compute; ProviderName", "'ProviderName' is not written dimension=value"),
    ("=Compute", "'=Compute' is not written dimension=value"),
    ("ServiceCategory=Compute; ServiceCategory=Storage", "dimension 'ServiceCategory' is given twice"),
    ("ServiceCategory=", "dimension 'ServiceCategory' needs one value or a list of values"),
    ("ServiceCategory=Compute; tag:env=prod|", "dimension 'tag:env' needs one value or a list of values"),
    ({"ServiceCategory": []}, "dimension 'ServiceCategory' needs one value or a list of values"),
    ({"ServiceCategory": None}, "dimension 'ServiceCategory' needs one value or a list of values"),
    ({"ServiceCategory": {"nested": 1}}, "dimension 'ServiceCategory' needs one value or a list of values"),
    ({" ": "Compute"}, "a dimension name is empty"),
    (["ServiceCategory"], "expected a mapping of dimension to values, found list"),
])
def test_errors_name_the_part(raw, message):
    with pytest.raises(ScopeError) as error:
        parse_scope(raw)
    assert str(error.value) == message


# ----- against the data ----------------------------------------------------------------------
def test_problems_name_unknown_dimensions_tag_keys_and_values(q):
    def problems(text: str, allocation: tuple[str, ...] = ()) -> list[str]:
        return scope_problems(q, parse_scope(text), allocation)

    (typo,) = problems("SubAcountName=prod-payments")
    assert typo.startswith("unknown dimension 'SubAcountName': not a dimension (one of ProviderName, ")
    assert "SubAccountName" in typo and "tag:<key> or alloc:<dimension>" in typo
    assert problems("tag:colour=blue") == ["unknown dimension 'tag:colour': not a tag key of the data"]
    assert problems("ServiceCategory=Quantum") == ["ServiceCategory: no cost has the value 'Quantum'"]
    assert problems("ServiceCategory=Compute|Quantum|Warp") == \
        ["ServiceCategory: no cost has the values 'Quantum', 'Warp'"]
    assert problems("tag:env=prod|qa") == ["tag:env: no cost has the value 'qa'"]
    assert problems("alloc:Team=platform") == \
        ["unknown dimension 'alloc:Team': not a dimension of the allocation rules"]
    # Line-item columns are not budget dimensions: only the rollup columns are.
    (line_item,) = problems("ResourceId=i-123")
    assert line_item.startswith("unknown dimension 'ResourceId': not a dimension")
    # Every problem is listed, one per dimension.
    assert len(problems("SubAcountName=x; ServiceCategory=Quantum; tag:colour=blue")) == 3


def test_known_scopes_have_no_problems(q):
    # Tag keys are known as the data's tag columns are named: `tag:Team` is `tag:team`, `tag:cost-center` is
    # `tag:cost_center` (every tag scope used to be refused as an unknown dimension).
    for text in (CELL, "", "ProviderName=AWS|Microsoft", "tag:Team=platform", "tag:env=(untagged)",
                 "tag:cost-center=CC-1100", "SubAccountName=prod-payments; RegionId=us-east-1"):
        assert scope_problems(q, parse_scope(text)) == [], text
    # Case matters in values: the data holds 'prod' and 'Prod', not 'PROD'.
    assert scope_problems(q, parse_scope("tag:env=Prod")) == []
    assert scope_problems(q, parse_scope("tag:env=PROD")) == ["tag:env: no cost has the value 'PROD'"]


def test_allocation_dimensions_are_known_with_the_rules(q):
    allocated = with_rules(q, load_rules(ROOT / "data" / "workspace" / "allocation.yaml"))
    assert scope_problems(allocated, parse_scope("alloc:Team=platform|data"), ("Team",)) == []
    assert scope_problems(allocated, parse_scope("alloc:Team=nobody"), ("Team",)) == \
        ["alloc:Team: no cost has the value 'nobody'"]
    assert scope_problems(allocated, parse_scope("alloc:Owner=x"), ("Team",)) == \
        ["unknown dimension 'alloc:Owner': not a dimension of the allocation rules"]


def test_scoped_totals_equal_pandas_to_the_cent(q, sample_frame):
    f = sample_frame
    env, team = tag_values(f, "env"), tag_values(f, "team")
    cases = {
        CELL: (f["ServiceCategory"] == "Compute") & env.isin(["prod", "staging"]),
        "ProviderName=AWS|Microsoft": f["ProviderName"].isin(["AWS", "Microsoft"]),
        "tag:Team=platform": team == "platform",  # the key's spellings `team` and `Team` are one key
        "tag:env=(untagged)": env.isna(),
        "ServiceCategory=Storage; ProviderName=Google Cloud":
            (f["ServiceCategory"] == "Storage") & (f["ProviderName"] == "Google Cloud"),
    }
    for text, rows in cases.items():
        assert rows.any() and not rows.all(), text
        for metric in ("EffectiveCost", "BilledCost"):
            total = q.total(scoped(Filters(), parse_scope(text)), metric)
            assert round(total, 2) == round(float(f.loc[rows, metric].sum()), 2), (text, metric)
    assert round(q.total(scoped(Filters(), ())), 2) == round(float(f["EffectiveCost"].sum()), 2)


def test_a_scope_replaces_the_filter_on_its_dimension_and_keeps_the_others(q, sample_frame):
    f = sample_frame
    days = f["ChargePeriodStart"].dt.tz_localize(None).dt.normalize()
    filters = Filters.of(start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 1), ServiceCategory=["Storage"],
                         ProviderName=["AWS"])
    narrowed = scoped(filters, parse_scope("ServiceCategory=Compute|Databases"))
    assert dict(narrowed.values) == {"ProviderName": ("AWS",), "ServiceCategory": ("Compute", "Databases")}
    rows = (f["ServiceCategory"].isin(["Compute", "Databases"]) & (f["ProviderName"] == "AWS")
            & (days >= "2026-10-01") & (days < "2026-11-01"))
    assert round(q.total(narrowed), 2) == round(float(f.loc[rows, "EffectiveCost"].sum()), 2)
