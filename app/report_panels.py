"""The Reports page's door to the finance pack: `analysis.reports.pack` on the app's data and workspace, cached
on the month, scope, metric, currency and the texts of the rules, budgets and triage it reads."""

from __future__ import annotations

import datetime as dt

from analysis.anomalies.triage import FILE_NAME as TRIAGE_FILE
from analysis.anomalies.triage import TriageError, load_triage
from analysis.budgets.store import BudgetStore
from analysis.query import CostQueries
from analysis.reports import pack
from analysis.scope import Scope
from analysis.store.workspace import WorkspaceFile
from app.door import door, saved_rules_text, tag_labels, workspace

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def finance_pack(month: dt.date, scope: Scope, metric: str, currency: str | None) -> pack.FinancePack:
    """The pack of `month` for `scope` in `metric`, with the saved allocation rules (else the shipped sample
    rules, as every page), budgets and triage. PackError says why none can be made."""
    folder = workspace()
    budgets, _ = BudgetStore(folder).read()
    _, triage = WorkspaceFile(folder, TRIAGE_FILE).read()  # its version keys the cache; the pack reads the file
    return _pack(month, scope, metric, currency, saved_rules_text(), budgets, triage,
                 tuple(sorted(tag_labels().items())))


@door
def _pack(q: CostQueries, month: dt.date, scope: Scope, metric: str, currency: str | None, rules_text: str,
          budgets_text: str, triage_version: str, labels: tuple[tuple[str, str], ...]) -> pack.FinancePack:
    notes, triage = [], {}
    try:
        triage = load_triage(workspace())
    except (TriageError, OSError, UnicodeDecodeError) as error:
        notes.append(f"Triage could not be read, so every event shows as new: {error}")
    inputs = pack.PackInputs.from_texts(rules_text, budgets_text, triage, workspace(), notes=notes)
    return pack.finance_pack(q, month, scope, metric, inputs, currency, dict(labels))
