"""Safety stock from a target service level and the forecast's own error.

Over a replenishment lead time of L days (mean), with daily forecast error sd s and, when
known, a lead-time sd sL and daily demand d, the demand over the lead time that the forecast
did not foresee has sd sqrt(L s^2 + d^2 sL^2); the safety stock is z of the service level times
that, rounded up to whole units (the textbook cycle-service-level form, with s measured by the
backtest rather than assumed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

DEFAULT_SERVICE_LEVELS: Mapping[str, float] = {"A": 0.98, "B": 0.95, "C": 0.90}


@dataclass(frozen=True, slots=True)
class SafetyStock:
    units: int
    service_level: float
    lead_time_days: float
    error_sd: float

    @property
    def reason(self) -> str:
        # Short enough for the ledger's reason column (64).
        return (f"service level {self.service_level:.3g}, lead time "
                f"{self.lead_time_days:.3g} d, error sd {self.error_sd:.3g}/d")


def safety_stock(error_sd: float, lead_time_days: float, service_level: float, *,
                 daily_demand: float = 0.0, lead_time_sd: float = 0.0) -> SafetyStock:
    if not 0 < service_level < 1:
        raise ValueError("service level must be between 0 and 1, exclusive")
    if error_sd < 0 or lead_time_days < 0 or lead_time_sd < 0:
        raise ValueError("spreads and lead times are not negative")
    spread = math.sqrt(lead_time_days * error_sd ** 2 + daily_demand ** 2 * lead_time_sd ** 2)
    z = NormalDist().inv_cdf(service_level)
    units = max(0, math.ceil(z * spread - 1e-9))
    return SafetyStock(units, service_level, lead_time_days, error_sd)
