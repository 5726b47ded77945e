"""The budget file on disk: validated before it is written, compare-and-swap saves, versions kept; and the
list edits the Budgets page makes (replace or rename in place, remove)."""

import pytest

from analysis.budgets.model import Budget, BudgetError, dump_budgets
from analysis.budgets.store import BudgetStore, replaced, without
from analysis.store.workspace import WorkspaceConflict

COMPUTE = Budget(name="Compute", scope={"ServiceCategory": "Compute"}, amount=500_000)
STORAGE = Budget(name="Storage", scope={"ServiceCategory": "Storage"}, amount=80_000, owner="ops@example.com")
BILL = Budget(name="Whole bill", period="year", fiscal_year_start=4, amounts={"FY2027": 15_500_000})


def test_an_empty_workspace_has_no_budgets(tmp_path):
    store = BudgetStore(tmp_path)
    assert store.path == tmp_path / "budgets.yaml"
    assert store.budgets() == ([], store.read()[1]) and not store.path.exists() and store.versions() == []


def test_saved_budgets_read_back_with_their_token_and_versions(tmp_path):
    store = BudgetStore(tmp_path)
    first = store.save_budgets([COMPUTE, STORAGE], store.read()[1])
    assert store.budgets() == ([COMPUTE, STORAGE], first)
    second = store.save_budgets([COMPUTE, STORAGE, BILL], first)
    assert store.budgets() == ([COMPUTE, STORAGE, BILL], second) and second != first
    newest, older = store.versions()
    assert newest.path.read_text() == dump_budgets([COMPUTE, STORAGE, BILL])
    assert older.path.read_text() == dump_budgets([COMPUTE, STORAGE])
    store.restore(older.name, second)
    assert store.budgets()[0] == [COMPUTE, STORAGE] and len(store.versions()) == 3


def test_invalid_text_is_refused_and_the_file_is_left_as_it_was(tmp_path):
    store = BudgetStore(tmp_path)
    store.save_budgets([COMPUTE], store.read()[1])
    before, current = store.read()
    for text, message in [
        ("budgets: [{name: Storage, amount: -5}]", "budgets.yaml, budget 'Storage', field amount: Input should be"),
        ("budgets: [{name: A, amount: 1}, {name: a, amount: 2}]", "two budgets are named 'a'"),
        ("budgets:\n- name: A\n  amount: [1\n", "budgets.yaml: YAML syntax error at line"),
    ]:
        with pytest.raises(BudgetError, match=message.replace("[", r"\[")):
            store.save(text, current)
        assert store.read() == (before, current) and len(store.versions()) == 1
    with pytest.raises(BudgetError, match="two budgets are named 'compute'"):
        store.save_budgets([COMPUTE, COMPUTE.model_copy(update={"name": "compute"})], current)
    assert store.read() == (before, current)


def test_a_save_from_an_old_token_is_refused(tmp_path):
    store = BudgetStore(tmp_path)
    _, empty = store.read()
    mine = store.save_budgets([COMPUTE], empty)
    theirs = store.save_budgets([COMPUTE, STORAGE], mine)  # another session saves first
    with pytest.raises(WorkspaceConflict, match="changed by someone else"):
        store.save_budgets([COMPUTE.model_copy(update={"amount": 1.0})], mine)
    with pytest.raises(WorkspaceConflict):
        store.save_budgets([BILL], empty)
    assert store.budgets() == ([COMPUTE, STORAGE], theirs) and len(store.versions()) == 2


def test_a_hand_written_file_is_read_and_kept_in_the_history(tmp_path):
    store = BudgetStore(tmp_path, "team-budgets.yaml")
    store.path.write_text("# by hand\nbudgets:\n- {name: Compute, scope: {ServiceCategory: Compute}, amount: 500000}\n")
    budgets, current = store.budgets()
    assert budgets == [COMPUTE]
    store.save_budgets([COMPUTE, STORAGE], current)
    assert [v.path.read_text().startswith("# by hand") for v in store.versions()] == [False, True]
    store.path.write_text("budgets: [{name: X}]\n")  # broken by hand: the message names this file
    with pytest.raises(BudgetError, match=r"^team-budgets\.yaml, budget 'X', field amount: give 'amount'"):
        store.budgets()


# ----- list edits ----------------------------------------------------------------------------
def test_replaced_adds_at_the_end_or_replaces_in_place():
    budgets = [COMPUTE, STORAGE, BILL]
    cheaper = STORAGE.model_copy(update={"amount": 60_000.0})
    assert replaced(budgets, cheaper, "Storage") == [COMPUTE, cheaper, BILL]
    renamed = STORAGE.model_copy(update={"name": "Object storage"})
    assert replaced(budgets, renamed, "storage") == [COMPUTE, renamed, BILL]  # the old name ignoring case
    recased = STORAGE.model_copy(update={"name": "STORAGE"})
    assert replaced(budgets, recased, "Storage") == [COMPUTE, recased, BILL]
    new = Budget(name="Network", amount=1)
    assert replaced(budgets, new) == [COMPUTE, STORAGE, BILL, new]
    assert budgets == [COMPUTE, STORAGE, BILL]  # the list given is not changed


def test_replaced_refuses_a_name_another_budget_has():
    budgets = [COMPUTE, STORAGE, BILL]
    with pytest.raises(BudgetError) as error:
        replaced(budgets, Budget(name="compute", amount=1))
    assert str(error.value) == "budget 'compute', field name: another budget has this name; names must be unique"
    with pytest.raises(BudgetError, match="budget 'Whole Bill', field name: another budget has this name"):
        replaced(budgets, STORAGE.model_copy(update={"name": "Whole Bill"}), "Storage")


def test_without_removes_one_budget_by_name():
    assert without([COMPUTE, STORAGE, BILL], "storage") == [COMPUTE, BILL]
    assert without([COMPUTE, STORAGE, BILL], "Network") == [COMPUTE, STORAGE, BILL]
    assert without([], "Compute") == []


def test_a_budget_file_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / "budgets.yaml").write_bytes(b"budgets:\n- name: Caf\xe9\n  amount: 5\n")
    with pytest.raises(BudgetError, match=r"budgets.yaml cannot be read \('utf-8' codec"):
        BudgetStore(tmp_path).budgets()
