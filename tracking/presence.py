"""What a part shows while it is lost: hold the last value briefly, then ease to neutral.

One weight per part (face, body, each hand) in [0, 1] scales what the avatar receives from the
part's neutral. Losing a part keeps the weight for ``hold_s`` (a blink of occlusion changes
nothing), then lowers it to 0 over ``ease_s``. Finding the part again raises the weight from
wherever it was over ``reacquire_s``, so the avatar glides back instead of jumping. The very
first sighting shows at once: there is no earlier value of the streamer's to glide from.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracking.frame import PartState


@dataclass
class Presence:
    """The presence weight of one tracked part over time."""

    hold_s: float = 0.3
    ease_s: float = 0.6
    reacquire_s: float = 0.25
    _seen: bool = False
    _since: float = 0.0  # when ``_seen`` last changed
    _from: float = 0.0  # the weight at that moment
    _ever_seen: bool = False

    def update(self, seen: bool, now: float) -> None:
        """Record whether the part was found in a frame captured at ``now``."""
        if seen != self._seen:
            self._from = self.weight(now) if self._ever_seen else 1.0
            self._seen = seen
            self._since = now
            self._ever_seen = self._ever_seen or seen

    def weight(self, now: float) -> float:
        """How much of the part's last value to show (0 = neutral)."""
        elapsed = max(0.0, now - self._since)
        if self._seen:
            return min(1.0, self._from + elapsed / self.reacquire_s) if self.reacquire_s else 1.0
        if elapsed < self.hold_s:
            return self._from
        if not self.ease_s:
            return 0.0
        return max(0.0, self._from - (elapsed - self.hold_s) / self.ease_s)

    def state(self, now: float) -> PartState | None:
        """tracked / held / easing, or None once fully eased out (or never seen)."""
        if self._seen:
            return "tracked"
        if self.weight(now) <= 0.0:
            return None
        return "held" if now - self._since < self.hold_s else "easing"
