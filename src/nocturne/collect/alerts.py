"""The CRITICAL alert rule: raise at the limit, clear only a few degrees below it."""

from __future__ import annotations

from ..config.model import Limits
from ..snapshot import Alert, Hardware


class AlertRule:
    """Stateful, so a temperature hovering at the limit does not flap the alert on and off."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.active: Alert | None = None

    def _reading(self, hw: Hardware, target: str) -> tuple[float | None, float]:
        if target == "CPU":
            return hw.cpu_temp, self.limits.cpu
        return hw.gpu_temp, self.limits.gpu

    def update(self, hw: Hardware) -> Alert | None:
        """The alert for this reading. An unknown temperature counts as below the limit."""
        if self.active is not None:
            temp, limit = self._reading(hw, self.active.target)
            if temp is not None and temp > limit - self.limits.hysteresis:
                self.active = Alert(self.active.target, temp)
                return self.active
            self.active = None
        for target in ("CPU", "GPU"):
            temp, limit = self._reading(hw, target)
            if temp is not None and temp >= limit:
                self.active = Alert(target, temp)
                break
        return self.active
