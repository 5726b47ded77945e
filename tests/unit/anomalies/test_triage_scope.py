"""Triage stays within a view: a team's triage of its own total spend is not the whole bill's, and back."""

import datetime as dt

from analysis.anomalies.triage import Triage, event_id, find_triage, view_key

DAY = dt.date(2026, 10, 5)


def _saved(comment: str, scope: dict | None = None) -> Triage:
    return Triage(status="expected", comment=comment, updated="2026-10-06T00:00:00+00:00", start="2026-10-05",
                  end="2026-10-06", scope=scope or {})


def test_a_restricted_view_has_its_own_event_ids_and_triage():
    team = view_key(((("SubAccountName", ("payments",)),),))
    assert view_key(None) == "" and team.startswith("view-") and team != view_key(((),))
    whole, mine = event_id("Total", "Total", DAY), event_id("Total", "Total", DAY, team)
    assert whole != mine
    items = {whole: _saved("admin's note")}
    assert find_triage(items, mine, {}, DAY, DAY) is None  # the admin's comment is not shown to the team
    items = {mine: _saved("team note", {"ServiceName": "EC2"})}
    assert find_triage(items, whole, {}, DAY, DAY) is None
    assert find_triage(items, event_id("ServiceName", "EC2", DAY, team), {"ServiceName": "EC2"}, DAY, DAY).via == mine
