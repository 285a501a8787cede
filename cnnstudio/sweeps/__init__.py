"""Sweeps: many training runs over a space of settings, chosen and pruned by Optuna.

- ``space``: ``--param NAME=lo:hi[:log]`` / ``NAME=a,b,c`` checked against the declared
  training options, the strategies (grid, random, tpe) and metrics (torch-free);
- ``record``: ``SWEEP_DIR/sweep.json`` (the space, strategy, metric, each trial's params,
  state and value), the trials best first and the results table (torch-free);
- ``runner``: ``prepare_sweep`` (every check, nothing written) and ``SweepPlan.run`` (one run
  folder per trial, ``trial-000``...); it imports torch and Optuna, so import it only when a
  sweep runs.
"""

from cnnstudio.sweeps.record import SWEEP_FILE, SweepRecord, TrialRecord, ranked, read_sweep
from cnnstudio.sweeps.space import METRICS, STRATEGIES, ParamError, SweepParam, parse_param

__all__ = ["METRICS", "STRATEGIES", "SWEEP_FILE", "ParamError", "SweepParam", "SweepRecord",
           "TrialRecord", "parse_param", "ranked", "read_sweep"]
