import pandas as pd

from analysis.dimensions import tag_column
from analysis.store.tag_columns import display_key, extract_tag_columns


def test_keys_are_case_insensitive_and_values_kept_as_written():
    tags = pd.Series(['{"team":"a","env":"prod"}', None, "{}", '{"Team":"b","env":"production"}', "not json"])
    columns, spellings = extract_tag_columns(tags)
    assert list(columns["x_tag_team"].fillna("-")) == ["a", "-", "-", "b", "-"]
    assert list(columns["x_tag_env"].fillna("-")) == ["prod", "-", "-", "production", "-"]
    assert list(columns["x_Tagged"]) == [True, False, False, True, False]
    assert spellings["x_tag_team"] == {"team": 1, "Team": 1}


def test_column_names_are_sanitised():
    assert tag_column("Cost-Center") == "x_tag_cost_center"
    assert tag_column(" app name ") == "x_tag_app_name"


def test_display_key_is_most_common_spelling():
    from collections import Counter

    assert display_key(Counter({"Team": 3, "team": 10})) == "team"
    assert display_key(Counter({"cost-center": 4})) == "cost-center"
