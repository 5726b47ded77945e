"""Scenario files in the workspace: one file per scenario named after it, saved with compare-and-swap (a save
from a stale token writes nothing), renamed by moving the file (the old one kept in the history), a name
clash refused, and a broken file reported by name while the others still load."""

import pytest

from analysis.scenarios.model import Growth, NewSpend, Remove, Scenario, ScenarioError, dump_scenario
from analysis.scenarios.store import ScenarioStore, file_name
from analysis.store.workspace import WorkspaceConflict, WorkspaceFile, token

COMPUTE = Scenario(name="Compute +30%", levers=(
    Growth(scope={"ServiceCategory": "Compute"}, percent=30, start="2027-03"),
    NewSpend(monthly=12_000, provider="AWS", service="Amazon S3", start="2027-01"),
))
EXIT = Scenario(name="Azure exit", months=6, levers=(Remove(scope={"ProviderName": "Microsoft"}, start="2027-04"),))


def test_a_scenario_is_kept_in_a_file_named_after_it():
    assert file_name("Compute +30%") == "compute-30.yaml"
    assert file_name("  Azure exit (2027)  ") == "azure-exit-2027.yaml"
    assert file_name("+++") == "scenario.yaml"


def test_an_empty_workspace_has_no_scenarios(tmp_path):
    assert ScenarioStore(tmp_path).scenarios() == ([], [])


def test_a_new_scenario_is_saved_and_read_back_with_its_token(tmp_path):
    store = ScenarioStore(tmp_path)
    first = store.save(COMPUTE, token(""))
    second = store.save(EXIT, token(""))
    path = tmp_path / "scenarios" / "compute-30.yaml"
    assert path.read_text() == dump_scenario(COMPUTE) and first == token(dump_scenario(COMPUTE))
    # Sorted by name: Azure exit before Compute +30%.
    assert store.scenarios() == ([(EXIT, second), (COMPUTE, first)], [])


def test_a_new_scenario_whose_file_is_taken_is_refused(tmp_path):
    store = ScenarioStore(tmp_path)
    saved = store.save(COMPUTE, token(""))
    other = Scenario(name="compute 30%", levers=(Remove(start="2027-01"),))  # maps to compute-30.yaml too
    with pytest.raises(ScenarioError, match=r"^scenario 'compute 30%', field name: another scenario is saved as "
                                            r"scenarios/compute-30\.yaml; choose another name$"):
        store.save(other, token(""))
    assert store.scenarios() == ([(COMPUTE, saved)], [])


def test_an_edit_saves_over_the_version_it_started_from(tmp_path):
    store = ScenarioStore(tmp_path)
    opened = store.save(COMPUTE, token(""))
    edited = COMPUTE.model_copy(update={"months": 24})
    saved = store.save(edited, opened, replacing="Compute +30%")
    assert saved != opened and store.scenarios() == ([(edited, saved)], [])
    versions = store.file("Compute +30%").versions()
    assert [v.path.read_text() for v in versions] == [dump_scenario(edited), dump_scenario(COMPUTE)]


def test_an_edit_from_a_stale_token_writes_nothing(tmp_path):
    store = ScenarioStore(tmp_path)
    opened = store.save(COMPUTE, token(""))
    theirs = COMPUTE.model_copy(update={"months": 6})
    their_token = store.save(theirs, opened, replacing="Compute +30%")  # another session saves first
    with pytest.raises(WorkspaceConflict, match="compute-30.yaml was changed by someone else"):
        store.save(COMPUTE.model_copy(update={"months": 18}), opened, replacing="Compute +30%")
    assert store.scenarios() == ([(theirs, their_token)], [])
    assert len(store.file("Compute +30%").versions()) == 2
    # A rename from the stale token is refused too, and creates no new file.
    with pytest.raises(WorkspaceConflict, match="compute-30.yaml was changed by someone else"):
        store.save(COMPUTE.model_copy(update={"name": "Compute +40%"}), opened, replacing="Compute +30%")
    assert sorted(p.name for p in (tmp_path / "scenarios").glob("*.yaml")) == ["compute-30.yaml"]


def test_a_rename_moves_the_file_and_keeps_the_old_one_in_the_history(tmp_path):
    store = ScenarioStore(tmp_path)
    opened = store.save(COMPUTE, token(""))
    renamed = COMPUTE.model_copy(update={"name": "Compute +40%"})
    saved = store.save(renamed, opened, replacing="Compute +30%")
    folder = tmp_path / "scenarios"
    assert sorted(p.name for p in folder.glob("*.yaml")) == ["compute-40.yaml"]
    assert store.scenarios() == ([(renamed, saved)], [])
    old = store.file("Compute +30%")
    assert not old.path.exists() and [v.path.read_text() for v in old.versions()] == [dump_scenario(COMPUTE)]
    assert all(v.path.parent == folder / ".history" for v in old.versions())


def test_a_rename_onto_another_scenarios_file_is_refused(tmp_path):
    store = ScenarioStore(tmp_path)
    compute = store.save(COMPUTE, token(""))
    exit_token = store.save(EXIT, token(""))
    clash = EXIT.model_copy(update={"name": "COMPUTE 30"})  # compute-30.yaml is Compute +30%'s file
    with pytest.raises(ScenarioError, match=r"^scenario 'COMPUTE 30', field name: another scenario is saved as "
                                            r"scenarios/compute-30\.yaml"):
        store.save(clash, exit_token, replacing="Azure exit")
    assert store.scenarios() == ([(EXIT, exit_token), (COMPUTE, compute)], [])
    # A new name that maps to the same file (only the case changes) is an edit in place.
    recased = EXIT.model_copy(update={"name": "AZURE EXIT"})
    assert store.save(recased, exit_token, replacing="Azure exit")
    assert store.scenarios()[0][0][0] == recased


def test_an_unreadable_file_is_reported_by_name_and_the_others_still_load(tmp_path):
    store = ScenarioStore(tmp_path)
    saved = store.save(COMPUTE, token(""))
    folder = tmp_path / "scenarios"
    (folder / "broken.yaml").write_text("name: Broken\nlevers:\n- kind: growth\n  percent: 5\n   from: 2027-01\n")
    (folder / "bad-lever.yaml").write_text("name: Bad lever\nlevers: [{kind: growth, percent: -150, from: 2027-01}]\n")
    (folder / "latin-1.yaml").write_bytes("name: Café\nmonths: 3\n".encode("latin-1"))  # not UTF-8
    (folder / "folder.yaml").mkdir()
    (folder / "notes.txt").write_text("not a scenario")
    found, problems = store.scenarios()
    assert found == [(COMPUTE, saved)]
    assert problems == [
        ("scenarios/bad-lever.yaml, scenario 'Bad lever', lever 1 (growth), field percent: Input should be "
         "greater than or equal to -100"),
        "scenarios/broken.yaml: YAML syntax error at line 5, column 8: mapping values are not allowed here",
        "scenarios/folder.yaml: cannot be read (Is a directory)",
        "scenarios/latin-1.yaml: cannot be read as UTF-8 text",
    ]


def test_a_remove_needs_the_token_it_was_opened_with(tmp_path):
    store = ScenarioStore(tmp_path)
    opened = store.save(COMPUTE, token(""))
    later = store.save(COMPUTE.model_copy(update={"months": 3}), opened, replacing="Compute +30%")
    with pytest.raises(WorkspaceConflict, match="changed by someone else"):
        store.remove("Compute +30%", opened)
    assert store.file("Compute +30%").path.exists()
    store.remove("Compute +30%", later)
    assert store.scenarios() == ([], [])
    assert len(store.file("Compute +30%").versions()) == 2  # its versions stay, to restore from


def test_workspace_file_remove_is_compare_and_swap_and_keeps_a_hand_written_file(tmp_path):
    file = WorkspaceFile(tmp_path, "by-hand.yaml")
    file.path.write_text("name: By hand\n")  # never saved through the store: not in the history yet
    text, current = file.read()
    with pytest.raises(WorkspaceConflict, match=r"by-hand\.yaml was changed by someone else"):
        file.remove(token("name: Something else\n"))
    assert file.read() == (text, current) and file.versions() == []
    file.remove(current)
    assert not file.path.exists()
    (kept,) = file.versions()
    assert kept.path.read_text() == "name: By hand\n" and kept.token == current
    # Removing a file already gone: from the empty file's token it is a no-op; from its last token, a conflict.
    file.remove(token(""))
    with pytest.raises(WorkspaceConflict, match=r"Their change: 0 line\(s\) added, 1 removed \(-name: By hand\)"):
        file.remove(current)
    file.restore(kept.name, token(""))
    assert file.read() == (text, current)
