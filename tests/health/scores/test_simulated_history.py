"""bench/simulate_history.py end to end, small (120 accounts, 6 months), through the same code path as the
script (the API with an API key, the rollup merge, the recompute job, the backtest): when churn follows
behaviour the AUC's interval is above 0.5; when it is random the verdict says weak evidence. Accounts start on one
of 5 billing days, so the backtest scores ~30 distinct days instead of ~130 (it is one inputs_as_of per day)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "simulate_history.py"


def simulate_module():
    spec = importlib.util.spec_from_file_location("simulate_history", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("mode", ["behaviour", "random"])
def test_simulated_history_backtest(world_a, mode):
    sim = simulate_module()
    body = sim.simulate(tenant=world_a.tenant, raw_key=world_a.raw_key, accounts=120, months=6, mode=mode, seed=4,
                        events_per_week=3, backfill_days=3, billing_days=5)
    print({k: body[k] for k in ("observations", "churned", "auc", "auc_interval", "verdict")},
          {c["key"]: c["auc"] for c in body["components"]}, body["suggested"]["auc"])
    assert body["observations"] > 300 and body["churned"] >= 10
    if mode == "behaviour":
        assert body["auc_interval"][0] > 0.5
        assert body["verdict"] == "predictive"
    else:
        assert body["verdict"] == "weak"
        assert "Weak evidence" in body["note"]
