"""Allocation and Showback pages through AppTest, numbers checked against pandas on the sample."""

import pytest

from app.ui import money
from tests.app.conftest import button as _button
from tests.app.conftest import in_range as _in_range
from tests.app.test_pages import _metric


def test_preview_totals_and_rule_coverage(app, sample_frame):
    at = app.run()
    at.switch_page("../pages/allocation.py").run()
    assert not at.exception
    expected = float(_in_range(sample_frame)["EffectiveCost"].sum())
    assert _metric(at, "Cost in range") == money(expected)
    coverage = at.dataframe[-1].value
    assert coverage["cost"].sum() == pytest.approx(expected, abs=0.01)
    assert coverage["rule"].iloc[0] == "Team tag"
    unmatched = float(coverage["cost"].iloc[-1])  # the two Unallocated figures are told apart on the page
    unallocated = next(m for m in at.metric if m.label == "Unallocated")
    assert money(unmatched) in unallocated.help and "after the shared-cost splits" in unallocated.help


def test_invalid_rules_are_named_and_not_saved(app, workspace):
    at = app.run()
    at.switch_page("../pages/allocation.py").run()
    text = at.text_area(key="alloc_text").value
    broken = text.replace("prefix: ml-", "regex: '(ml'")
    at.text_area(key="alloc_text").set_value(broken).run()
    assert any("rules → 'ML accounts' → when: invalid regex" in e.value.replace("\\", "") for e in at.error)
    assert not (workspace / "allocation.yaml").exists()


def test_save_then_a_concurrent_save_is_refused(app, workspace):
    at = app.run()
    at.switch_page("../pages/allocation.py").run()
    _button(at, "Save rules").click().run()
    saved = (workspace / "allocation.yaml").read_text()
    assert saved == at.text_area(key="alloc_text").value
    (workspace / "allocation.yaml").write_text(saved + "# edited in another session\n")
    at.text_area(key="alloc_text").set_value(saved.replace("owner: ml", "owner: machine-learning")).run()
    _button(at, "Save rules").click().run()
    assert any("changed by someone else" in e.value for e in at.error)
    assert (workspace / "allocation.yaml").read_text().endswith("# edited in another session\n")


def test_showback_totals_equal_the_bill(app, sample_frame):
    at = app.run()
    at.switch_page("../pages/showback.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    in_range = _in_range(sample_frame)
    owners, everyone = table[table["Owner"] != "All owners"], table.set_index("Owner").loc["All owners"]
    assert everyone["Total"] == round(float(in_range["EffectiveCost"].sum()), 2)  # the bill, to the cent
    for column in [c for c in table.columns if c == "Total" or c[:4].isdigit()]:
        assert round(owners[column].sum() * 100) == round(everyone[column] * 100)  # shown parts add up
    owner = at.selectbox(key="sb_owner").value
    row = table.set_index("Owner").loc[owner]
    direct = float(_metric(at, "Direct").replace("$", "").replace(",", ""))
    shared = float(_metric(at, "Shared").replace("$", "").replace(",", ""))
    assert direct + shared == pytest.approx(row["Total"], abs=2.0)  # metrics are rounded to the dollar
    # The data team's direct cost includes the whole bigdata-warehouse account (rule "Data warehouse account"
    # catches what the team tag does not).
    at.selectbox(key="sb_owner").select("data").run()
    assert not at.exception


TYPO = "dimensions:\n  - name: Team\n    rules:\n      - name: By account\n        when: {column: SubAcountName, equals: prod}\n        owner: platform\n"


def test_rules_that_do_not_fit_the_data_cannot_be_saved_and_pages_say_so(app, workspace):
    at = app.run()
    at.switch_page("../pages/allocation.py").run()
    at.text_area(key="alloc_text").set_value(TYPO).run()
    problem = at.error[0].value.replace("\\", "")
    assert "rule 'By account', field 'when': column 'SubAcountName' does not exist in the data" in problem
    assert "cannot be saved" in problem
    assert not [b for b in at.button if b.label == "Save rules"]  # Save is not offered
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "allocation.yaml").write_text(TYPO)  # saved by hand, outside the app
    at.switch_page("../pages/showback.py").run()
    assert "cannot be used on this data" in at.error[0].value and not at.dataframe
    at.switch_page("../pages/explore.py").run()
    assert not [o for o in at.selectbox(key="x_by").options if "allocation" in o]
    assert not [s for s in at.sidebar.selectbox if s.label == "Allocation owner"] or \
        at.sidebar.selectbox(key="f_alloc").options == ["(no owner filter)"]


def test_a_partial_month_is_labelled_and_never_compared_with_a_whole_one(app):
    at = app.run()
    at.switch_page("../pages/showback.py").run()
    columns = list(at.dataframe[0].value.columns)
    assert "2026-11 (to 15 Nov)" in columns  # the sample ends on 15 Nov
    assert "Change 2026-10 vs 2026-09" in columns and not [c for c in columns if c.startswith("Change 2026-11")]
    assert next(m for m in at.metric if m.label.startswith("Last full month")).label == "Last full month (Oct 2026)"
