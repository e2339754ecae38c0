"""The plan catalogue (``config/plans.toml``) as typed, checked values."""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080)}
PLAN_ORDER = ("free", "reply_guy", "spartan", "zeus", "goat")


class PlanLacksFeature(PermissionError):
    """The plan does not include this (the message names a plan that does)."""


class PlanError(ValueError):
    """The catalogue is malformed, or a plan name does not exist."""


@dataclass(frozen=True)
class Plan:
    """Every limit of one plan."""

    id: str
    name: str
    price_usd: float
    weekly_stream_minutes: int
    max_avatars: int
    max_concurrent_streams: int
    max_resolution: str
    face_tracking: bool
    eye_tracking: bool
    expression_tracking: bool
    body_tracking: bool
    hand_tracking: bool
    finger_tracking: bool
    tracking_precision: float
    animation_smoothness: float
    animation_responsiveness: float
    max_bones: int
    max_morph_targets: int
    max_upload_mb: int
    custom_avatars: bool
    marketplace: bool
    api_access: bool
    x_spaces_hosting: bool
    priority_support: bool
    white_label: bool

    @property
    def max_size(self) -> tuple[int, int]:
        """The largest output (width, height) the plan streams."""
        return RESOLUTIONS[self.max_resolution]

    @property
    def tracking_features(self) -> list[str]:
        """The tracking feature names the plan switches on (``tracking.Features`` names)."""
        names = ("face", "eye", "expression", "body", "hand", "finger")
        return [name for name in names if getattr(self, f"{name}_tracking")]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, every limit."""
        return dataclasses.asdict(self)


def parse_catalogue(text: str) -> dict[str, Plan]:
    """Plans from TOML text; every field must be present with the right type."""
    data = tomllib.loads(text).get("plans", {})
    fields = {f.name: f.type for f in dataclasses.fields(Plan) if f.name != "id"}
    plans = {}
    for plan_id, raw in data.items():
        missing = sorted(set(fields) - set(raw))
        extra = sorted(set(raw) - set(fields))
        if missing or extra:
            raise PlanError(
                f"plan {plan_id!r}: missing {missing or 'nothing'}, unknown {extra or 'nothing'}"
            )
        if raw["max_resolution"] not in RESOLUTIONS:
            raise PlanError(
                f"plan {plan_id!r}: max_resolution must be one of {sorted(RESOLUTIONS)}"
            )
        plans[plan_id] = Plan(id=plan_id, **raw)
    if set(plans) != set(PLAN_ORDER):
        raise PlanError(f"the catalogue must define exactly {', '.join(PLAN_ORDER)}")
    return {plan_id: plans[plan_id] for plan_id in PLAN_ORDER}


@functools.cache
def catalogue() -> dict[str, Plan]:
    """The shipped catalogue, in order from free to goat."""
    return parse_catalogue(resources.files("config").joinpath("plans.toml").read_text("utf-8"))


def plan(plan_id: str) -> Plan:
    """One plan by id (``PlanError`` names the ones that exist)."""
    try:
        return catalogue()[plan_id]
    except KeyError:
        raise PlanError(f"no plan {plan_id!r}: choose from {', '.join(PLAN_ORDER)}") from None
