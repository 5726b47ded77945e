"""The one workspace store: compare-and-swap, bounded history written after a save, plain permissions."""

import os
import stat

import pytest

from analysis.store.workspace import KEEP, WorkspaceConflict, WorkspaceFile, token


def test_history_keeps_the_last_versions_only(tmp_path):
    file = WorkspaceFile(tmp_path, "budgets.yaml", keep=3)
    current = file.read()[1]
    for i in range(5):
        current = file.save(f"version: {i}\n", current)
    assert [v.path.read_text() for v in file.versions()] == ["version: 4\n", "version: 3\n", "version: 2\n"]
    assert all(v.token == token(v.path.read_text()) for v in file.versions())
    assert KEEP == 100


def test_a_refused_save_adds_nothing_to_the_history(tmp_path):
    file = WorkspaceFile(tmp_path, "rules.yaml")
    start = file.read()[1]
    file.save("a: 1\n", start)
    with pytest.raises(WorkspaceConflict, match="rules.yaml was changed by someone else at .* UTC"):
        file.save("a: 2\n", start)
    assert file.read()[0] == "a: 1\n" and len(file.versions()) == 1


def test_a_file_written_by_hand_is_kept_in_the_history_before_it_is_replaced(tmp_path):
    (tmp_path / "policy.yaml").write_text("by: hand\n")
    file = WorkspaceFile(tmp_path, "policy.yaml")
    file.save("by: app\n", file.read()[1])
    assert [v.path.read_text() for v in file.versions()] == ["by: app\n", "by: hand\n"]


def test_saved_files_are_readable_like_other_project_files(tmp_path):
    old = os.umask(0o022)
    try:
        file = WorkspaceFile(tmp_path, "triage.yaml")
        file.save("x: 1\n", file.read()[1])
    finally:
        os.umask(old)
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o644
    assert stat.S_IMODE(file.versions()[0].path.stat().st_mode) == 0o644
    os.chmod(file.path, 0o664)  # a mode chosen by the user stays
    file.save("x: 2\n", file.read()[1])
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o664
    assert not list(tmp_path.glob(".*.tmp")) and not list((tmp_path / ".history").glob(".*.tmp"))


def test_update_sees_the_latest_text(tmp_path):
    file = WorkspaceFile(tmp_path, "list.txt")
    for item in "abc":
        file.update(lambda text, item=item: text + item + "\n")
    assert file.read()[0] == "a\nb\nc\n"
