"""Corrections of the ledger: the reversal of a mistaken count."""

from __future__ import annotations

from . import Reason, Strict, example


class CountReversalIn(Strict):
    model_config = example(reason="wrong shelf counted")
    reason: Reason
