"""Which cost a commitment could cover: on-demand (Standard) usage of compute and databases, within a scope;
on the sample, to the cent against pandas."""

import pytest

from analysis.commitments.eligibility import ELIGIBLE, commitment_eligible
from analysis.query import Filters, local_queries
from analysis.scope import parse_scope, scoped

EXPECTED_ELIGIBLE = (("ChargeCategory", ("Usage",)), ("PricingCategory", ("Standard",)),
                     ("ServiceCategory", ("Compute", "Databases")))


def test_the_whole_bill_has_the_eligible_scope():
    assert commitment_eligible(parse_scope({})) == EXPECTED_ELIGIBLE == ELIGIBLE  # `scope: {}` in a file
    assert commitment_eligible() == commitment_eligible(()) == EXPECTED_ELIGIBLE


def test_a_scope_of_another_service_category_holds_nothing_eligible():
    assert commitment_eligible((("ServiceCategory", ("Storage",)),)) is None
    assert commitment_eligible((("PricingCategory", ("Dynamic", "Committed")),)) is None  # spot, already committed
    assert commitment_eligible((("ChargeCategory", ("Purchase",)),)) is None


def test_a_narrower_scope_keeps_its_own_values_within_the_eligible_ones():
    assert commitment_eligible((("ProviderName", ("AWS",)),)) == (
        ("ChargeCategory", ("Usage",)), ("PricingCategory", ("Standard",)), ("ProviderName", ("AWS",)),
        ("ServiceCategory", ("Compute", "Databases")))
    assert commitment_eligible((("ServiceCategory", ("Databases", "Storage")),)) == (
        ("ChargeCategory", ("Usage",)), ("PricingCategory", ("Standard",)), ("ServiceCategory", ("Databases",)))


@pytest.mark.parametrize(("scope", "provider"), [((), None), ((("ProviderName", ("AWS",)),), "AWS")])
def test_the_eligible_cost_of_the_sample_is_on_demand_compute_and_database_usage(sample_cache, sample_frame, scope,
                                                                                 provider):
    f = sample_frame
    rows = ((f["ChargeCategory"] == "Usage") & (f["PricingCategory"] == "Standard")
            & f["ServiceCategory"].isin(["Compute", "Databases"]))
    if provider:
        rows &= f["ProviderName"] == provider
    expected = float(f.loc[rows, "EffectiveCost"].sum())
    # Most compute and database cost, but not all: committed and spot usage are left out.
    every = f["ServiceCategory"].isin(["Compute", "Databases"]) & (f["ProviderName"] == provider if provider else True)
    assert 0.2 < expected / float(f.loc[every, "EffectiveCost"].sum()) < 0.95
    q = local_queries(sample_cache)
    assert round(q.total(scoped(Filters(), commitment_eligible(scope))), 2) == round(expected, 2)
