"""Which of the costly trackers run on a given tracking step.

Face tracking is cheap and runs on every step. Body (~20–25 ms) and hands (~22–28 ms) on 2
cores cost more than a 30 fps frame together, so each has a target rate and at most one of them
runs per step: the most overdue. Between their updates the tracker extrapolates their last
motion. (At 720p30 on 2 cores, steps come ~22 times a second: each gets ~11 Hz.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

HEAVY_STAGES = ("body", "hands")


@dataclass
class StageSchedule:
    """Target rates (Hz) for the heavy stages; ``every_step`` runs all of them every time."""

    rates_hz: dict[str, float] = field(default_factory=lambda: {"body": 15.0, "hands": 15.0})
    every_step: bool = False
    _last_run: dict[str, float] = field(default_factory=dict)

    def pick(self, wanted: list[str], now: float) -> list[str]:
        """Which of the ``wanted`` heavy stages to run for a frame captured at ``now``."""
        if self.every_step:
            chosen = list(wanted)
        else:
            overdue = {
                stage: now - self._last_run.get(stage, float("-inf")) - 1.0 / self.rates_hz[stage]
                for stage in wanted
            }
            # A quarter period early counts as due: frames arrive on their own clock, and
            # waiting for the next one would turn 15 Hz at 30 fps into 10 Hz.
            due = [stage for stage, late in overdue.items() if late >= -0.25 / self.rates_hz[stage]]
            chosen = [max(due, key=overdue.__getitem__)] if due else []
        for stage in chosen:
            self._last_run[stage] = now
        return chosen

    def period_s(self, stage: str) -> float:
        """The intended time between two runs of ``stage``."""
        return 0.0 if self.every_step else 1.0 / self.rates_hz[stage]
