"""A restricted query layer (a signed-in user's view) sees only the rows its scopes allow, whatever is asked of
it: totals, series, breakdowns, values offered as filters, the loaded summary, line items. Expected numbers
are computed with pandas on the sample frame."""

import math

import pandas as pd
import pytest

from analysis.allocation.queries import with_rules
from analysis.allocation.rules import load_rules
from analysis.query import Filters, local_queries
from tests.conftest import ROOT, tag_values

ACCOUNT = "SubAccountName"


@pytest.fixture(scope="module")
def q(sample_cache):
    return local_queries(sample_cache)


def _money(value: float) -> float:
    return round(float(value), 2)


def test_a_scope_on_one_account_sees_only_its_rows(q, sample_frame):
    name = sample_frame[ACCOUNT].value_counts().index[0]
    mine = sample_frame[sample_frame[ACCOUNT] == name]
    view = q.restricted((((ACCOUNT, (name,)),),))
    everything = Filters(currency="USD")
    assert _money(view.total(everything)) == _money(mine["EffectiveCost"].sum())
    assert view.values(ACCOUNT) == [name]
    assert view.summary()["rows"] == len(mine)
    assert set(view.breakdown(everything, (ACCOUNT,), "BilledCost")[ACCOUNT]) == {name}
    other = sample_frame[ACCOUNT].value_counts().index[1]
    assert view.total(everything.with_values(ACCOUNT, [other])) == 0  # a filter narrows, never widens
    assert view.lines.count().to_pandas() == len(mine)


def test_several_scopes_are_a_union_and_tags_work_on_the_daily_rollup(q, sample_frame):
    team = tag_values(sample_frame, "team")
    wanted = (sample_frame["ServiceCategory"] == "Storage") | (team == "payments")
    view = q.restricted(((("ServiceCategory", ("Storage",)),), (("tag:team", ("payments",)),)))
    assert _money(view.total(Filters(currency="USD"), "BilledCost")) == _money(
        sample_frame.loc[wanted, "BilledCost"].sum())
    monthly = view.series(Filters(currency="USD"), "EffectiveCost", "month")
    assert math.isclose(monthly["cost"].sum(), sample_frame.loc[wanted, "EffectiveCost"].sum(), rel_tol=1e-9)


def test_an_allocation_scope_rolls_up_the_allowed_lines(q, sample_frame):
    rules = load_rules(ROOT / "data" / "workspace" / "allocation.yaml")
    allocated = with_rules(q, rules)
    dimension = f"alloc:{rules.dimensions[0].name}"
    owners = allocated.values(dimension)
    owner = next(o for o in owners if not o.startswith("("))
    view = allocated.restricted((((dimension, (owner,)),),))
    expected = allocated.total(Filters(currency="USD", values=((dimension, (owner,)),)))
    assert expected > 0
    assert _money(view.total(Filters(currency="USD"))) == _money(expected)
    assert view.values(dimension) == [owner]
    assert view.summary()["totals"]["USD"]["EffectiveCost"] == pytest.approx(expected)


def test_restricting_again_keeps_only_what_both_allow_and_nothing_means_nothing(q, sample_frame):
    categories = sample_frame["ServiceCategory"].value_counts().index[:2].tolist()
    first = q.restricted(((("ServiceCategory", tuple(categories)),),))
    both = first.restricted(((("ServiceCategory", (categories[1], "Databases-that-do-not-exist")),),))
    expected = sample_frame.loc[sample_frame["ServiceCategory"] == categories[1], "EffectiveCost"].sum()
    assert _money(both.total(Filters(currency="USD"))) == _money(expected)
    assert first.restricted(((("ServiceCategory", ("Nope",)),),)).total(Filters(currency="USD")) == 0
    nothing = q.restricted(())
    assert nothing.total(Filters(currency="USD")) == 0 and nothing.summary()["rows"] == 0
    whole = q.restricted(((),))
    assert _money(whole.total(Filters(currency="USD"))) == _money(sample_frame["EffectiveCost"].sum())


def test_a_cursor_keeps_the_restriction(q, sample_frame):
    name = sample_frame[ACCOUNT].value_counts().index[2]
    view = q.restricted((((ACCOUNT, (name,)),),)).cursor()
    assert _money(view.total(Filters(currency="USD"))) == _money(
        sample_frame.loc[sample_frame[ACCOUNT] == name, "EffectiveCost"].sum())
    assert isinstance(view.series(Filters(currency="USD")), pd.DataFrame)


def test_every_engine_opened_while_viewing_as_a_user_is_restricted(sample_cache, sample_frame):
    from analysis.query.acting import viewing_as

    name = sample_frame[ACCOUNT].value_counts().index[3]
    with viewing_as((((ACCOUNT, (name,)),),)):
        inside = local_queries(sample_cache)
    outside = local_queries(sample_cache)
    mine = sample_frame.loc[sample_frame[ACCOUNT] == name, "EffectiveCost"].sum()
    assert _money(inside.total(Filters(currency="USD"))) == _money(mine)
    assert _money(outside.total(Filters(currency="USD"))) == _money(sample_frame["EffectiveCost"].sum())


def test_an_owner_scoped_view_gets_its_share_of_shared_costs(q):
    from analysis.allocation.queries import allocation

    rules = load_rules(ROOT / "data" / "workspace" / "allocation.yaml")
    ruled = with_rules(q, rules)
    name = rules.dimensions[0].name
    whole = allocation(ruled, Filters(currency="USD"), rules, name)
    shared = whole[whole["kind"] == "shared"]
    owner = shared.groupby("owner")["cost"].sum().idxmax()  # an owner that receives shared costs
    view = ruled.restricted((((f"alloc:{name}", (owner,)),),))
    mine = allocation(view, Filters(currency="USD"), rules, name)
    assert set(mine["owner"]) == {owner}
    expected = whole[whole["owner"] == owner]
    assert _money(mine["cost"].sum()) == _money(expected["cost"].sum())
    assert _money(mine.loc[mine["kind"] == "shared", "cost"].sum()) > 0
    account_view = ruled.restricted((((ACCOUNT, ("no-such-account",)),),))
    assert allocation(account_view, Filters(currency="USD"), rules, name).empty
