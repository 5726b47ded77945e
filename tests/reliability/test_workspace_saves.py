"""Workspace saves under real conditions: concurrent processes, kill -9 mid-save, a full disk.

An edit that was reported as saved is never lost; a save that was not made says so; the file and
every history version are always whole.
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from analysis.allocation.store import RuleStore
from analysis.anomalies.triage import event_id, load_triage, save_triage
from analysis.store.workspace import WorkspaceConflict, WorkspaceFile, token
from tests.conftest import ROOT

ROUNDS = 40
RULES = "dimensions: [{{name: Team, rules: [{{name: R{n}, when: {{tag: team, present: true}}, owner_from_tag: team}}]}}]\n"


def _rule_saver(folder: str, who: int, barrier, results) -> None:
    store = RuleStore(folder)
    for round_ in range(ROUNDS):
        _, seen = store.read()
        barrier.wait()  # both have read the same version: now both save at once
        try:
            store.save(RULES.format(n=f"{round_}-{who}"), seen)
            results.put((round_, who, "saved"))
        except WorkspaceConflict:
            results.put((round_, who, "refused"))
        barrier.wait()


def _triage_saver(folder: str, who: int, barrier) -> None:
    barrier.wait()
    for n in range(ROUNDS):
        save_triage(folder, event_id("ServiceName", f"S{who}-{n}", _day()), "investigating", f"by {who}")


def _day():
    import datetime as dt

    return dt.date(2026, 11, 1)


def _run(target, folder: Path, barrier, *extra) -> list[multiprocessing.Process]:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=target, args=(str(folder), who, barrier, *extra)) for who in (1, 2)]
    for process in processes:
        process.start()
    return processes


def test_two_processes_saving_rules_at_once_never_lose_a_saved_edit(tmp_path):
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    processes = _run(_rule_saver, tmp_path, barrier, results)
    outcomes = [results.get(timeout=120) for _ in range(2 * ROUNDS)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    store = RuleStore(tmp_path)
    saved = {(r, w) for r, w, outcome in outcomes if outcome == "saved"}
    for round_ in range(ROUNDS):  # exactly one of the two wins each round; the other heard "refused"
        assert len([w for r, w in saved if r == round_]) == 1, round_
    last_round_winner = next(w for r, w in saved if r == ROUNDS - 1)
    assert store.read()[0] == RULES.format(n=f"{ROUNDS - 1}-{last_round_winner}")
    in_history = {v.path.read_text() for v in store.versions()}
    assert {RULES.format(n=f"{r}-{w}") for r, w in saved} <= in_history  # every saved edit is kept


def test_two_processes_triaging_at_once_keep_every_entry(tmp_path):
    barrier = multiprocessing.get_context("spawn").Barrier(2)
    for process in _run(_triage_saver, tmp_path, barrier):
        process.join(timeout=120)
        assert process.exitcode == 0
    items = load_triage(tmp_path)
    assert len(items) == 2 * ROUNDS
    assert {i.comment for i in items.values()} == {"by 1", "by 2"}


def _whole(folder: Path, versions: set[str]) -> None:
    """The file is one complete version, and every history file matches the token in its name."""
    file = WorkspaceFile(folder, "big.yaml")
    assert file.read()[0] in versions
    for version in file.versions():
        assert token(version.path.read_text()) == version.token


SAVER = """
import sys, time
from analysis.store.workspace import WorkspaceFile
file = WorkspaceFile(sys.argv[1], "big.yaml")
n = 0
while True:
    n = (n + 1) % 3
    file.update(lambda _: f"round: {n}\\n" + "x: " + "y" * 4_000_000 + "\\n")
"""


def test_a_save_killed_at_any_moment_leaves_whole_files(tmp_path):
    versions = {f"round: {n}\n" + "x: " + "y" * 4_000_000 + "\n" for n in range(3)}
    first = WorkspaceFile(tmp_path, "big.yaml")
    first.save(min(versions), first.read()[1])
    for delay in (0.3, 0.45, 0.6, 0.8, 1.0, 1.3):
        process = subprocess.Popen([sys.executable, "-c", SAVER, str(tmp_path)], cwd=ROOT)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        _whole(tmp_path, versions)
    file = WorkspaceFile(tmp_path, "big.yaml")
    file.save("after: kills\n", file.read()[1])  # the store still works afterwards
    assert file.read()[0] == "after: kills\n"


FULL_DISK = """
import resource, sys
from analysis.store.workspace import WorkspaceFile, WorkspaceWriteError
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
file = WorkspaceFile(sys.argv[1], "rules.yaml")
try:
    file.save("big: " + "z" * 1_000_000 + "\\n", file.read()[1])
except WorkspaceWriteError as error:
    print(error)
"""


def test_a_full_disk_keeps_the_previous_file_and_writes_no_empty_version(tmp_path):
    file = WorkspaceFile(tmp_path, "rules.yaml")
    file.save("small: 1\n", file.read()[1])
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.stdout.strip() == "rules.yaml could not be saved (the disk is full); the previous version is kept."
    assert "Traceback" not in done.stderr
    assert file.read()[0] == "small: 1\n"
    assert [v.path.read_text() for v in file.versions()] == ["small: 1\n"]
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.stat().st_size == 0 and not p.name.endswith(".lock")]
    assert yaml.safe_load(file.read()[0]) == {"small": 1}
    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] == resource.RLIM_INFINITY  # only the child was limited
