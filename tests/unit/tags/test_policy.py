import pytest

from analysis.tags.policy import TagPolicy, TagPolicyError, load_policy, save_policy


def test_default_then_round_trip(tmp_path):
    assert load_policy(tmp_path).required == ["team", "env", "cost-center"]
    save_policy(tmp_path, TagPolicy(required=["Team", "app", "team"]))
    assert load_policy(tmp_path).required == ["team", "app"]


def test_unknown_field_is_named(tmp_path):
    (tmp_path / "tag_policy.yaml").write_text("required: [team]\nrequird: [env]\n")
    with pytest.raises(TagPolicyError, match="tag_policy.yaml: field requird"):
        load_policy(tmp_path)


def test_yaml_syntax_error_is_reported(tmp_path):
    (tmp_path / "tag_policy.yaml").write_text("required: [team\n")
    with pytest.raises(TagPolicyError, match="not valid YAML"):
        load_policy(tmp_path)
