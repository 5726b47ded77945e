"""The Forecast page: its numbers match `analysis.forecast.report` on the same cache, the parts of a forecast
by dimension add up to the total, and the horizon only slices the forecast."""

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from analysis.forecast.report import forecast_view
from analysis.query import Filters, local_queries
from app.ui import money
from tests.conftest import SAMPLE_END


@pytest.fixture(scope="module")
def expected(sample_cache):
    """The total forecast as the analysis computes it for the page's default scope (all history, USD)."""
    scope = Filters(end=SAMPLE_END, currency="USD")
    return forecast_view(local_queries(sample_cache), scope, "EffectiveCost", None, 0.8, 5, 1)


def _metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def _table(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _forecast_page(app: AppTest) -> AppTest:
    at = app.run()
    at.switch_page("../pages/forecast.py").run()
    assert not at.exception
    return at


def _submit(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Forecast").click().run()
    assert not at.exception
    return at


def test_projections_match_the_analysis_and_the_horizon_slices(app, expected):
    at = _forecast_page(app)
    assert at.title[0].value == "Forecast"

    month = expected.projections[expected.projections["kind"] == "Month"].iloc[0]
    shown = _metric(at, "This month (projected)").value
    assert re.fullmatch(r"\$[\d,]+", shown)
    assert shown == money(month["forecast"])
    year = expected.projections[expected.projections["kind"] == "Fiscal year"].iloc[0]
    assert _metric(at, "Fiscal year (projected)").value == money(year["forecast"])
    assert _metric(at, "Forecast, next 30 days").value == money(expected.total["forecast"].iloc[:30].sum())

    table = _table(at, "kind")
    assert table["forecast"].iloc[0] == pytest.approx(month["forecast"], abs=0.01)
    assert len(table) == len(expected.projections)

    why = _table(at, "weight")
    assert list(why["model"]) == list(expected.candidates["model"])
    assert why["weight"].sum() == pytest.approx(1.0)

    trust = _table(at, "mase")
    assert list(trust["method"]) == ["Automatic (best on backtests)", "Seasonal naive (last week repeated)"]
    assert ((trust["coverage"] >= 0) & (trust["coverage"] <= 1)).all()

    at.slider(key="fc_horizon").set_value(14)
    _submit(at)
    labels = [m.label for m in at.metric]
    assert "Forecast, next 14 days" in labels and "Forecast, next 30 days" not in labels
    assert _metric(at, "Forecast, next 14 days").value == money(expected.total["forecast"].iloc[:14].sum())
    assert _metric(at, "This month (projected)").value == shown  # the horizon re-forecasts nothing


def test_forecast_by_service_adds_up_to_the_total(app, sample_frame):
    at = _forecast_page(app)
    total = _metric(at, "Forecast, next 30 days").value
    at.selectbox(key="fc_dimension").set_value("ServiceName")
    _submit(at)

    parts = _table(at, "series")
    services = set(sample_frame["ServiceName"].dropna())
    assert len(parts) == 6 and parts["series"].iloc[-1] == "Other"  # the top 5 services, then the rest
    assert set(parts["series"].iloc[:5]) <= services
    assert money(parts["forecast"].sum()) == total == _metric(at, "Forecast, next 30 days").value
    assert (parts["lower"] <= parts["forecast"]).all() and (parts["forecast"] <= parts["upper"]).all()
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)  # spend never negative: the axis starts at 0
    scales = [layer["encoding"]["y"].get("scale", {}) for layer in spec["layer"] if "y" in layer["encoding"]]
    assert scales and all(s.get("domainMin") == 0 for s in scales if s)


def test_choosing_a_model_forecasts_and_backtests_with_it(app, sample_cache):
    at = _forecast_page(app)
    at.selectbox(key="fc_method").set_value("theta")
    _submit(at)
    assert _metric(at, "Method").value == "Theta"
    trust = _table(at, "mase")
    assert list(trust["method"]) == ["Theta", "Seasonal naive (last week repeated)"]
    scope = Filters(end=SAMPLE_END, currency="USD")
    theta = forecast_view(local_queries(sample_cache), scope, "EffectiveCost", None, 0.8, 5, 1, "theta")
    assert _metric(at, "Forecast, next 30 days").value == money(theta.cumulative["forecast"].iloc[29])
    assert any("Theta forecast's 28-day error" in m.value for m in at.markdown)
