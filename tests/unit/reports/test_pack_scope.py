"""The finance pack of a user who sees part of the bill lists only the budgets inside their scopes: another
team's budget (or the whole bill's) would be judged on this user's rows only, and its name and amount are not
theirs to read. The operator's pack lists every budget."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from analysis.query import local_queries
from analysis.reports.pack import PackInputs, finance_pack

BUDGETS = """budgets:
- {name: Payments run, scope: {SubAccountName: prod-payments}, period: month, amount: 111111}
- {name: Payments compute, scope: {SubAccountName: prod-payments, ServiceCategory: Compute}, period: month,
   amount: 5000}
- {name: Data platform plan, scope: {SubAccountName: data-platform}, period: month, amount: 987654}
- {name: Company, period: month, amount: 5555555}
"""


def _budget_names(q) -> list[str]:
    pack = finance_pack(q, "2026-10", inputs=PackInputs.from_texts(budgets_text=BUDGETS))
    book = load_workbook(io.BytesIO(pack.data))
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    return [name for name in ("Payments run", "Payments compute", "Data platform plan", "Company") if name in cells]


def test_a_scoped_pack_lists_only_the_budgets_inside_the_scope(sample_cache):
    q = local_queries(sample_cache)
    assert _budget_names(q) == ["Payments run", "Payments compute", "Data platform plan", "Company"]
    mine = q.restricted(((("SubAccountName", ("prod-payments",)),),))
    assert _budget_names(mine) == ["Payments run", "Payments compute"]
