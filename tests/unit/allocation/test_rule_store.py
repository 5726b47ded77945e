import pytest

from analysis.allocation.rules import RulesError
from analysis.allocation.store import RuleStore
from analysis.store.workspace import WorkspaceConflict

GOOD = "dimensions: [{name: Team, rules: [{name: R, when: {tag: team, present: true}, owner_from_tag: team}]}]\n"
OTHER = "dimensions: [{name: Team}]\n"


def test_save_keeps_history_and_restores(tmp_path):
    store = RuleStore(tmp_path)
    _, empty = store.read()
    store.save(GOOD, empty)
    text, current = store.read()
    assert text == GOOD
    store.save(OTHER, current)
    newest, older = store.versions()
    assert newest.path.read_text() == OTHER and older.path.read_text() == GOOD
    store.restore(older.name, store.read()[1])
    assert store.read()[0] == GOOD and len(store.versions()) == 3


def test_invalid_rules_leave_the_file_as_it_was(tmp_path):
    store = RuleStore(tmp_path)
    store.save(GOOD, store.read()[1])
    with pytest.raises(RulesError, match="allocation.yaml"):
        store.save("dimensions: [{name: Team, rules: [{name: R}]}]", store.read()[1])
    assert store.read()[0] == GOOD and len(store.versions()) == 1


def test_a_concurrent_save_is_refused(tmp_path):
    store = RuleStore(tmp_path)
    store.save(GOOD, store.read()[1])
    _, mine = store.read()
    store.save(OTHER, mine)  # another session saves first
    with pytest.raises(WorkspaceConflict, match="changed by someone else") as refused:
        store.save(GOOD + "# my edit\n", mine)
    assert "Their change: 1 line(s) added, 1 removed" in str(refused.value)
    assert "+dimensions: [{name: Team}]" in str(refused.value)
    assert store.read()[0] == OTHER
