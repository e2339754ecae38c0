"""Every real model renders; a posed arm and a morph move the pixels where they should."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from rigging.avatar import Avatar, open_avatar
from rigging.background import SolidColour
from rigging.errors import NotHumanoidError
from rigging.framing import Camera, frame_avatar
from rigging.gltf_reader import load_avatar
from rigging.renderer import AvatarRenderer
from rigging.retarget import Retargeter
from rigging.skeleton import world_matrices
from rigging.transforms import quat_between
from tests.support.media import SHARED_ASSETS

MODELS = SHARED_ASSETS / "models"
SAMPLES = sorted(p.name for p in MODELS.iterdir() if p.suffix in (".glb", ".gltf", ".vrm"))
NOT_HUMANOID = {"SimpleSkin.gltf", "RiggedSimple.gltf"}
SIZE = 320
BACKGROUND = (255, 0, 255)


@pytest.fixture(scope="module")
def renderer() -> Iterator[AvatarRenderer]:
    with AvatarRenderer(SIZE, SIZE) as renderer:
        renderer.set_background(SolidColour(BACKGROUND))
        yield renderer


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mask of pixels that differ clearly between two renders."""
    return np.abs(a.astype(int) - b.astype(int)).sum(axis=2) > 30


def shot(renderer: AvatarRenderer, avatar: Avatar, rotations=None, morphs=None) -> np.ndarray:
    model = avatar.model
    camera = full_body(avatar)
    renderer.render(world_matrices(model, rotations), morphs or {}, camera)
    return renderer.read_rgb().copy()


def full_body(avatar: Avatar) -> Camera:
    rest = world_matrices(avatar.model)
    return frame_avatar(avatar.model, rest, "full_body", 1.0, avatar.humanoid.bones)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_renders_or_is_refused_for_the_right_reason(
    renderer: AvatarRenderer, name: str
) -> None:
    if name in NOT_HUMANOID:
        with pytest.raises(NotHumanoidError, match="not a humanoid"):
            open_avatar(MODELS / name)
        model = load_avatar(MODELS / name)  # still drawable, just not drivable
        renderer.load(model)
        renderer.render(world_matrices(model))
    else:
        avatar = open_avatar(MODELS / name)
        renderer.load(avatar.model)
        renderer.render(world_matrices(avatar.model), camera=full_body(avatar))
    picture = renderer.read_rgb()
    avatar_pixels = (np.abs(picture.astype(int) - BACKGROUND).sum(axis=2) > 30).mean()
    assert avatar_pixels > 0.01, f"{name}: only {avatar_pixels:.2%} of the frame is the model"


def test_raising_the_left_arm_moves_pixels_up_on_the_viewers_right(
    renderer: AvatarRenderer,
) -> None:
    avatar = open_avatar(MODELS / "RobotExpressive.glb")
    renderer.load(avatar.model)
    rest = shot(renderer, avatar)
    bones = avatar.humanoid.bones
    world = world_matrices(avatar.model)
    upper, lower = bones["leftUpperArm"], bones["leftLowerArm"]
    down = world[lower][:3, 3] - world[upper][:3, 3]
    raise_arm = quat_between(down, [0.0, 1.0, 0.0])  # straight up, in avatar space
    rotations = Retargeter(avatar).local_rotations({"leftUpperArm": raise_arm})
    posed = shot(renderer, avatar, rotations)
    moved = changed(rest, posed)
    assert moved.mean() > 0.005
    _ys, xs = np.nonzero(moved)
    camera = full_body(avatar)
    shoulder_x, shoulder_y = camera.project(world[upper][:3, 3], SIZE, SIZE)
    # The avatar faces the viewer: its left arm is on the viewer's right.
    assert np.median(xs) > SIZE / 2
    gained = moved & (np.abs(posed.astype(int) - BACKGROUND).sum(axis=2) > 30)
    assert np.median(np.nonzero(gained)[0]) < shoulder_y  # new arm pixels above the shoulder
    assert np.median(xs) > shoulder_x - SIZE * 0.1


def test_a_morph_weight_changes_pixels_in_the_face(renderer: AvatarRenderer) -> None:
    avatar = open_avatar(MODELS / "RobotExpressive.glb")
    renderer.load(avatar.model)
    camera = full_body(avatar)
    world = world_matrices(avatar.model)
    rest = shot(renderer, avatar)
    weights = avatar.expressions.weights({"surprised": 1.0})
    surprised = shot(renderer, avatar, morphs=weights)
    moved = changed(rest, surprised)
    assert moved.mean() > 0.001
    head = world[avatar.humanoid.bones["head"]][:3, 3]
    neck = world[avatar.humanoid.bones["neck"]][:3, 3]
    _, neck_y = camera.project(neck, SIZE, SIZE)
    _, head_y = camera.project(head, SIZE, SIZE)
    ys, _ = np.nonzero(moved)
    assert ys.max() <= max(neck_y, head_y) + 2  # every changed pixel is at the head or above
