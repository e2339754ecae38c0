"""How big an avatar may be. Plans lower some of these; the rest keep hostile files cheap."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class AvatarLimits:
    """Upper bounds checked while a file is read, before anything big is allocated."""

    max_file_bytes: int = 64 * MIB
    max_json_bytes: int = 16 * MIB
    max_vertices: int = 1_000_000
    max_triangles: int = 1_500_000
    max_joints: int = 512  # plan: max bones
    max_morph_targets: int = 512  # plan: max morph targets (distinct names)
    max_nodes: int = 10_000
    max_textures: int = 64
    max_texture_pixels: int = 4096 * 4096  # decoded size of one texture
    max_decoded_bytes: int = 768 * MIB  # all accessors and textures together, once decoded

    def merged(self, **plan: int | None) -> AvatarLimits:
        """These limits lowered by a plan's (None leaves a limit as it is)."""
        values = {k: min(v, getattr(self, k)) for k, v in plan.items() if v is not None}
        return AvatarLimits(**{**self.__dict__, **values})
