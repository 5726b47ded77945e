"""Keys written in different ways are found, whatever separates their words."""

from analysis.tags.hygiene import similar_keys


def test_keys_differing_only_in_separators_are_one_group():
    keys = ["cost-center", "costcenter", "Cost_Center", "team", "env", "environment"]
    assert similar_keys(keys) == [["Cost_Center", "cost-center", "costcenter"]]
    assert similar_keys(["team", "env"]) == []
