"""Health scores (scorecards, scores, history, explanation, overrides, backtest): the health-score issue
builds here, reading usage through ``health.usage.selectors`` and the other apps through their selectors."""
