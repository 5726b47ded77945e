"""Forecasting: models, the forecaster, period projections, reconciliation, the page-facing report."""

from analysis.forecast.forecaster import (
    MAX_HORIZON,
    METHODS,
    Forecaster,
    backtest,
    fitted,
    forecast_by,
    forecast_series,
    mase_scale,
    project_periods,
    top_and_other,
)

__all__ = ["MAX_HORIZON", "METHODS", "Forecaster", "backtest", "fitted", "forecast_by", "forecast_series",
           "mase_scale", "project_periods", "top_and_other"]
