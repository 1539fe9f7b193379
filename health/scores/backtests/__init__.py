"""The health backtest's reads, API and page (issue 14): how well a scorecard's score, as of h days before each
renewal or churn, told them apart; the arithmetic is health.scores.backtest, the fit health.scores.suggest."""
