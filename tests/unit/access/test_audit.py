"""The audit trail: every save, refused save, validation failure, restore, remove and triage of a workspace file
appends one line naming who did it and the versions before and after; loads and removals of the cache inside
`audit_to`; concurrent writers never interleave lines; the file only grows; credentials never reach it."""

import datetime as dt
import json
import threading

import pandas as pd
import pytest

from analysis.access.store import AccessStore
from analysis.allocation.store import RuleStore
from analysis.anomalies.triage import save_triage
from analysis.budgets.model import BudgetError
from analysis.budgets.store import BudgetStore
from analysis.scenarios.model import Scenario
from analysis.scenarios.store import ScenarioStore
from analysis.store.audit import AUDIT_FILE, acting_as, as_user, audit_to, read_audit, record, redact
from analysis.store.cache import CacheError, Delivery, FocusCache
from analysis.store.workspace import WorkspaceConflict, WorkspaceFile, token

BUDGETS = "budgets:\n  - name: Compute\n    scope: {ServiceCategory: Compute}\n    amount: 1000\n"
ACCESS_FILE = ("grants:\n  - who: {group: finops-admins}\n    role: admin\n"
               "  - who: {email: bob@example.com}\n    role: editor\n")


def entries(folder) -> list[dict]:
    return [json.loads(line) for line in (folder / AUDIT_FILE).read_text().splitlines()]


def test_a_save_is_recorded_with_who_and_the_versions(tmp_path):
    store = BudgetStore(tmp_path)
    with as_user("bob@example.com"):
        saved = store.save(BUDGETS, token(""))
    [entry] = entries(tmp_path)
    assert {k: entry[k] for k in ("who", "action", "target", "before", "after", "ok", "detail")} == {
        "who": "bob@example.com", "action": "save", "target": "budgets.yaml", "before": token(""),
        "after": saved, "ok": True, "detail": ""}
    assert abs(dt.datetime.fromisoformat(entry["at"]) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_a_refused_save_and_a_validation_failure_each_append_one_line(tmp_path):
    store = BudgetStore(tmp_path)
    first = store.save(BUDGETS, token(""))
    second = store.save(BUDGETS.replace("1000", "2000"), first)
    with as_user("carol@example.com"), pytest.raises(WorkspaceConflict):
        store.save(BUDGETS.replace("1000", "3000"), first)
    assert len(entries(tmp_path)) == 3
    with as_user("dan@example.com"), pytest.raises(BudgetError):
        store.save(BUDGETS.replace("1000", "-5"), second)
    *_, conflict, invalid = entries(tmp_path)
    assert (conflict["who"], conflict["action"], conflict["before"], conflict["after"], conflict["ok"]) == (
        "carol@example.com", "save", first, None, False)
    assert "budgets.yaml was changed by someone else" in conflict["detail"]
    assert (invalid["who"], invalid["before"], invalid["after"], invalid["ok"]) == ("dan@example.com", second, None,
                                                                                    False)
    assert invalid["detail"].startswith("budgets.yaml, budget 'Compute', field amount:")
    assert store.read()[1] == second


def test_restore_remove_triage_rules_access_and_scenarios_are_recorded_once_each(tmp_path):
    file = WorkspaceFile(tmp_path, "notes.txt")
    first = file.save("one\n", token(""))
    second = file.save("two\n", first)
    restored = file.restore(file.versions()[1].name, second)
    file.remove(restored)
    save_triage(tmp_path, "total|Total|2026-01-05", "expected", "planned launch")
    rules = RuleStore(tmp_path)
    with pytest.raises(ValueError):
        rules.save("rules: [{name: x}]\n", token(""))
    access = AccessStore(tmp_path).save(ACCESS_FILE, token(""))
    ScenarioStore(tmp_path).save(Scenario(name="Compute +30%", levers=[]), token(""))
    log = entries(tmp_path)
    assert [(e["action"], e["target"], e["before"], e["after"], e["ok"]) for e in log] == [
        ("save", "notes.txt", token(""), first, True), ("save", "notes.txt", first, second, True),
        ("restore", "notes.txt", second, first, True), ("remove", "notes.txt", first, None, True),
        ("triage", "anomaly_triage.yaml", token(""), token((tmp_path / "anomaly_triage.yaml").read_text()), True),
        ("save", "allocation.yaml", token(""), None, False), ("access change", "access.yaml", token(""), access, True),
        ("save", "scenarios/compute-30.yaml", token(""), log[-1]["after"], True)]
    assert {e["who"] for e in log} == {"operator"} and not (tmp_path / "scenarios" / AUDIT_FILE).exists()


def test_a_failed_restore_is_recorded(tmp_path):
    store = AccessStore(tmp_path)
    first = store.save(ACCESS_FILE, token(""))
    second = store.save(ACCESS_FILE.replace("role: editor", "role: viewer"), first)
    with pytest.raises(WorkspaceConflict):
        store.restore(store.versions()[1].name, first)
    last = entries(tmp_path)[-1]
    assert (last["action"], last["before"], last["after"], last["ok"]) == ("restore", first, None, False)
    assert store.read()[1] == second


def test_cache_loads_and_removals_are_recorded_inside_audit_to(tmp_path):
    cache, workspace = FocusCache(tmp_path / "cache"), tmp_path / "workspace"
    cache.add_source([month_of(1.0, "AWS")], "outside.csv", sha256="outside")  # no audit_to: nothing recorded
    assert not (workspace / AUDIT_FILE).exists()
    with audit_to(workspace), as_user("admin@example.com"):
        source = cache.add_source([month_of(10.0, "Microsoft")], "march.csv", sha256="march")
        cache.load([Delivery("dry.csv", [month_of(5.0, "Google Cloud")], "dry")], dry_run=True)
        with pytest.raises(CacheError):
            cache.add_source([month_of(99.0, "Oracle")], "march-again.csv", sha256="march")
        cache.remove_source(source.id)
    log = entries(workspace)
    assert [(e["who"], e["action"], e["target"], e["before"], e["after"], e["ok"]) for e in log] == [
        ("admin@example.com", "load", "march.csv", None, source.id, True),
        ("admin@example.com", "load", "march-again.csv", None, None, False),
        ("admin@example.com", "remove", "march.csv", source.id, None, True)]


def month_of(cost: float, provider: str) -> pd.DataFrame:
    start = pd.to_datetime(["2025-03-01", "2025-03-02"], utc=True)
    return pd.DataFrame({"ChargePeriodStart": start, "ChargePeriodEnd": start + pd.Timedelta(days=1),
                         "BilledCost": [cost, cost], "EffectiveCost": [cost, cost], "BillingCurrency": ["USD", "USD"],
                         "ProviderName": [provider, provider]})


def test_two_threads_appending_200_entries_each_write_400_whole_lines(tmp_path):
    def write(who: str) -> None:
        with as_user(who):
            for i in range(200):
                record("save", f"file-{i}.yaml", detail="x" * 900, folder=tmp_path)

    threads = [threading.Thread(target=write, args=(f"user{n}@example.com",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = entries(tmp_path)  # json.loads of each line fails on a torn or interleaved line
    assert len(log) == 400 and {e["who"] for e in log} == {"user1@example.com", "user2@example.com"}
    assert all(len(e["detail"]) == 900 for e in log) and acting_as.get() == "operator"


def test_the_file_only_grows(tmp_path):
    store = BudgetStore(tmp_path)
    seen = b""
    saved = token("")
    for amount in ("1000", "2000", "-1", "3000"):
        try:
            saved = store.save(BUDGETS.replace("1000", amount), saved)
        except BudgetError:
            pass
        now = (tmp_path / AUDIT_FILE).read_bytes()
        assert now.startswith(seen) and len(now) > len(seen)
        seen = now
    assert len(seen.splitlines()) == 4


@pytest.mark.parametrize(("detail", "kept", "gone"), [
    ("export failed: AWS_SECRET_ACCESS_KEY=abc123 was refused", "AWS_SECRET_ACCESS_KEY=[redacted]", "abc123"),
    ("callback with token=eyJabc.def.ghi&state=1", "token=[redacted]", "eyJabc"),
    ("client_secret: 'hunter2 two'", "client_secret: [redacted]", "hunter2"),
    ("header Authorization: Bearer abc.def-ghi", "[redacted]", "abc.def-ghi"),
    ("key id AKIAIOSFODNN7EXAMPLE in the chain", "key id [redacted] in", "AKIAIOSFODNN7EXAMPLE"),
    ("s3 via https://user:pa55@host/x", "https://[redacted]@host/x", "pa55"),
    ("blob ?sv=2024&sig=AbC%2Bd&se=1", "sig=[redacted]", "AbC%2Bd"),
    ("refused: {'token': 'ghp_abc', 'user': 'x'}", "'token': [redacted]", "ghp_abc"),
])
def test_credentials_in_a_detail_are_redacted(tmp_path, detail, kept, gone):
    record("sync", "s3://bucket/prefix", ok=False, detail=detail, folder=tmp_path)
    [entry] = entries(tmp_path)
    assert kept in entry["detail"] and gone not in entry["detail"] and gone not in (tmp_path / AUDIT_FILE).read_text()
    assert redact("the Compute budget, scope ServiceCategory=Compute") == "the Compute budget, scope ServiceCategory=Compute"


def test_record_needs_a_folder_and_a_known_action(tmp_path):
    assert record("load", "x.csv") is False and not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match="unknown audit action 'delete'"):
        record("delete", "x.csv", folder=tmp_path)


def test_read_audit_filters_by_who_action_and_since(tmp_path):
    with as_user("Bob@Example.com"):
        record("save", "budgets.yaml", folder=tmp_path)
        record("sign-in refused", "app", ok=False, detail="no grant", folder=tmp_path)
    with as_user("carol@example.com"):
        record("save", "allocation.yaml", folder=tmp_path)
    with open(tmp_path / AUDIT_FILE, "a") as handle:
        handle.write('{"at": "2026-01-01T00:00:00+00:00", "who": "cut off by a cr')
    table = read_audit(tmp_path)
    assert list(table.columns) == ["at", "who", "action", "target", "before", "after", "ok", "detail"]
    assert list(table["target"]) == ["allocation.yaml", "app", "budgets.yaml"] and table.attrs["unreadable"] == 1
    assert str(table["at"].dt.tz) == "UTC" and table["ok"].tolist() == [True, False, True]
    assert list(read_audit(tmp_path, who="bob@example.com")["action"]) == ["sign-in refused", "save"]
    assert list(read_audit(tmp_path, action="save")["who"]) == ["carol@example.com", "Bob@Example.com"]
    assert read_audit(tmp_path, since=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).empty
    assert len(read_audit(tmp_path, since=dt.date.today() - dt.timedelta(days=1))) == 3
    assert read_audit(tmp_path / "nowhere").empty and isinstance(read_audit(tmp_path / "nowhere"), pd.DataFrame)
