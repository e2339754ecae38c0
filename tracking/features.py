"""What to track and how finely: the plain values a caller (a plan, the CLI) passes in."""

from __future__ import annotations

from dataclasses import dataclass

FEATURE_NAMES = ("face", "eye", "expression", "body", "hand", "finger")


class FeatureError(ValueError):
    """A feature list or quality value that cannot be used."""


@dataclass(frozen=True)
class Features:
    """Which trackers run. A feature that is off costs nothing: its model is never loaded.

    ``eye`` and ``expression`` refine the face, ``finger`` refines the hands: switching one on
    needs its parent, so the parent tracker runs (``needs_face``/``needs_hands``) while only the
    parts asked for are reported.
    """

    face: bool = True
    eye: bool = True
    expression: bool = True
    body: bool = True
    hand: bool = True
    finger: bool = True

    @classmethod
    def parse(cls, text: str) -> Features:
        """``"face,body,hand"`` → those on, the rest off; ``"all"``; ``"none"``."""
        names = {part.strip().lower() for part in text.split(",") if part.strip()}
        if not names:
            raise FeatureError("no tracking features given: name some, or 'all' or 'none'")
        if names == {"all"}:
            return cls()
        if names == {"none"}:
            return cls(**dict.fromkeys(FEATURE_NAMES, False))
        unknown = names - set(FEATURE_NAMES)
        if unknown:
            raise FeatureError(
                f"unknown tracking feature(s) {', '.join(sorted(unknown))}: "
                f"choose from {', '.join(FEATURE_NAMES)}, or 'all' or 'none'"
            )
        return cls(**{name: name in names for name in FEATURE_NAMES})

    @property
    def needs_face(self) -> bool:
        """The face tracker must run."""
        return self.face or self.eye or self.expression

    @property
    def needs_hands(self) -> bool:
        """The hand tracker must run."""
        return self.hand or self.finger

    def names(self) -> list[str]:
        """The features that are on, in canonical order."""
        return [name for name in FEATURE_NAMES if getattr(self, name)]


@dataclass(frozen=True)
class TrackingQuality:
    """The plan's ``tracking_precision``, ``animation_smoothness`` and
    ``animation_responsiveness``, each in [0, 1].

    precision chooses the models (the neural blendshape model and full hand model from 0.5 up);
    smoothness and responsiveness set the One Euro filters (see ``filter_settings``).
    """

    precision: float = 0.5
    smoothness: float = 0.5
    responsiveness: float = 0.5

    def __post_init__(self) -> None:
        for name in ("precision", "smoothness", "responsiveness"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise FeatureError(f"tracking {name} must be between 0 and 1, got {value}")

    @property
    def neural_face(self) -> bool:
        """Use the 52-blendshape network rather than the geometric solver."""
        return self.precision >= 0.5
