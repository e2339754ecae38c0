"""The avatar renderer on small synthetic models whose pictures are known in advance.

Every scene is seen by a camera on +Z looking at the origin, so world x and y map to the
picture's right and up; positions are checked by projecting world points with the same
camera and looking at those pixels.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence

import av
import numpy as np
import pytest
from PIL import Image

from rigging.background import ImageBackground, SolidColour
from rigging.framing import Camera, frame_avatar
from rigging.model import (
    AvatarModel,
    Material,
    Mesh,
    MeshInstance,
    MorphTarget,
    Node,
    Primitive,
    Skin,
)
from rigging.renderer import AvatarRenderer, BackgroundCopy, RendererUnavailable
from rigging.skeleton import bounds, world_matrices
from rigging.thumbnail import render_thumbnail
from rigging.transforms import IDENTITY_QUAT, quat_from_axis_angle
from rigging.watermark import watermark

WIDTH, HEIGHT = 640, 360
BACKGROUND = (30, 60, 90)
CAMERA = Camera.look_at(np.array([0.0, 0.0, 4.0]), np.zeros(3), WIDTH / HEIGHT, 30.0, 0.5, 20.0)

# --- synthetic models --------------------------------------------------------------------


def box(low: Sequence[float], high: Sequence[float]) -> tuple[np.ndarray, ...]:
    """Positions, normals and triangles (outward, counter-clockwise) of an axis-aligned box."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    centre, half = (low + high) / 2, (high - low) / 2
    positions, normals, triangles = [], [], []
    for axis in range(3):
        for sign in (1.0, -1.0):
            u, v = np.eye(3)[(axis + 1) % 3], np.eye(3)[(axis + 2) % 3]
            if sign < 0:
                u, v = v, u  # keep u × v pointing outward
            normal = sign * np.eye(3)[axis]
            first = len(positions)
            for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                positions.append(centre + (normal + du * u + dv * v) * half)
                normals.append(normal)
            triangles += [(first, first + 1, first + 2), (first, first + 2, first + 3)]
    return (
        np.array(positions, np.float32),
        np.array(normals, np.float32),
        np.array(triangles, np.uint32),
    )


def node(name: str, parent: int = -1, at: Sequence[float] = (0, 0, 0)) -> Node:
    return Node(name, parent, np.asarray(at, float), IDENTITY_QUAT.copy(), np.ones(3))


def primitive(
    positions: np.ndarray,
    normals: np.ndarray,
    indices: np.ndarray,
    joints: np.ndarray | None = None,
    material: int = 0,
    **extra: object,
) -> Primitive:
    n = len(positions)
    joint_column = np.zeros(n, np.uint16) if joints is None else joints.astype(np.uint16)
    all_joints = np.zeros((n, 4), np.uint16)
    all_joints[:, 0] = joint_column
    weights = np.zeros((n, 4), np.float32)
    weights[:, 0] = 1.0
    return Primitive(positions, normals, None, all_joints, weights, indices, material, **extra)


def rigid_model(meshes: list[Mesh], materials: list[Material]) -> AvatarModel:
    """Each mesh held by its own root node at the origin, unskinned."""
    nodes = tuple(node(f"holder{i}") for i in range(len(meshes)))
    instances = tuple(MeshInstance(i, i, None) for i in range(len(meshes)))
    return AvatarModel(nodes, tuple(meshes), (), tuple(materials), instances)


def arm_model() -> AvatarModel:
    """An arm along +x: upper arm (x 0…0.5) on the shoulder joint, forearm (0.5…1) on the
    elbow, a child of the shoulder 0.5 along x."""
    upper, forearm = box((0, -0.1, -0.1), (0.5, 0.1, 0.1)), box((0.5, -0.1, -0.1), (1, 0.1, 0.1))
    positions = np.vstack([upper[0], forearm[0]])
    normals = np.vstack([upper[1], forearm[1]])
    indices = np.vstack([upper[2], forearm[2] + len(upper[0])])
    joints = np.repeat([0, 1], len(upper[0]))
    elbow_inverse = np.eye(4, dtype=np.float32)
    elbow_inverse[0, 3] = -0.5
    skin = Skin((1, 2), np.stack([np.eye(4, dtype=np.float32), elbow_inverse]))
    nodes = (node("mesh"), node("shoulder"), node("elbow", 1, (0.5, 0, 0)))
    mesh = Mesh("arm", (primitive(positions, normals, indices, joints),))
    material = Material("skin", base_color=(0.9, 0.5, 0.2, 1.0))
    return AvatarModel(nodes, (mesh,), (skin,), (material,), (MeshInstance(0, 0, 0),))


def morph_model(dummy_targets: int = 0) -> AvatarModel:
    """A box whose top rises 0.5 under its last morph target; ``dummy_targets`` do nothing."""
    positions, normals, indices = box((-0.5, -0.5, -0.1), (0.5, 0.5, 0.1))
    rise = np.zeros_like(positions)
    rise[positions[:, 1] > 0, 1] = 0.5
    still = MorphTarget(np.zeros_like(positions), None)
    targets = (*(still,) * dummy_targets, MorphTarget(rise, None))
    mesh = Mesh("face", (primitive(positions, normals, indices, targets=targets),))
    return rigid_model([mesh], [Material("grey", base_color=(0.6, 0.6, 0.6, 1.0))])


def quad(z: float = 0.0, size: float = 1.0) -> Primitive:
    """A square facing +z, its uv (0, 0) at the top-left corner as glTF has it."""
    h = size / 2
    positions = np.array([[-h, h, z], [h, h, z], [h, -h, z], [-h, -h, z]], np.float32)
    normals = np.tile(np.array([0, 0, 1], np.float32), (4, 1))
    indices = np.array([[0, 3, 2], [0, 2, 1]], np.uint32)  # counter-clockwise from +z
    uvs = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    base = primitive(positions, normals, indices)
    return Primitive(
        positions, normals, uvs, base.joints, base.weights, indices, 0, colors=base.colors
    )


def with_material(p: Primitive, material: int, colors: np.ndarray | None = None) -> Primitive:
    return Primitive(
        p.positions, p.normals, p.uvs, p.joints, p.weights, p.indices, material, colors=colors
    )


QUADRANTS = {"top_left": (255, 0, 0), "top_right": (0, 255, 0), "bottom_left": (0, 0, 255)}


def quadrant_texture(alpha_left: int = 255) -> np.ndarray:
    """64×64 RGBA: red, green / blue, white quadrants; alpha of the left half given."""
    texture = np.full((64, 64, 4), 255, np.uint8)
    texture[:32, :32, :3] = QUADRANTS["top_left"]
    texture[:32, 32:, :3] = QUADRANTS["top_right"]
    texture[32:, :32, :3] = QUADRANTS["bottom_left"]
    texture[:, :32, 3] = alpha_left
    return texture


def stick_figure() -> tuple[AvatarModel, dict[str, int]]:
    """A 1.7 m humanoid of boxes: legs, torso, head, each rigid on one humanoid bone."""
    bones = [
        ("hips", -1, (0, 0.95, 0)),
        ("spine", 0, (0, 0.1, 0)),
        ("chest", 1, (0, 0.2, 0)),
        ("neck", 2, (0, 0.2, 0)),
        ("head", 3, (0, 0.08, 0)),
        ("leftUpperLeg", 0, (0.1, -0.05, 0)),
        ("leftFoot", 5, (0, -0.82, 0)),
        ("rightUpperLeg", 0, (-0.1, -0.05, 0)),
        ("rightFoot", 7, (0, -0.82, 0)),
    ]
    nodes = tuple(node(name, parent, at) for name, parent, at in bones)
    parts = [
        (box((-0.15, 0.9, -0.1), (0.15, 1.5, 0.1)), 0),  # torso on the hips
        (box((-0.1, 1.5, -0.1), (0.1, 1.72, 0.12)), 4),  # head
        (box((0.05, 0.0, -0.06), (0.15, 0.9, 0.06)), 5),
        (box((-0.15, 0.0, -0.06), (-0.05, 0.9, 0.06)), 7),
    ]
    positions = np.vstack([p[0][0] for p in parts])
    normals = np.vstack([p[0][1] for p in parts])
    offsets = np.cumsum([0] + [len(p[0][0]) for p in parts[:-1]])
    indices = np.vstack([p[0][2] + o for p, o in zip(parts, offsets, strict=True)])
    joints = np.concatenate([np.full(len(b[0]), j) for b, j in parts])
    model = AvatarModel(nodes, (), (), (), ())  # to pose the rest skeleton
    world = world_matrices(model)
    skin = Skin(tuple(range(len(nodes))), np.linalg.inv(world).astype(np.float32))
    mesh = Mesh("body", (primitive(positions, normals, indices, joints),))
    material = Material("body", base_color=(0.3, 0.5, 0.8, 1.0), unlit=True)
    model = AvatarModel(nodes, (mesh,), (skin,), (material,), (MeshInstance(0, 0, 0),))
    return model, {name: i for i, (name, _, _) in enumerate(bones)}


# --- fixtures and helpers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_renderer() -> Iterator[AvatarRenderer]:
    renderer = AvatarRenderer(WIDTH, HEIGHT)
    yield renderer
    renderer.close()


@pytest.fixture
def renderer(shared_renderer: AvatarRenderer) -> AvatarRenderer:
    """The module's renderer, reset to the default size, background and overlay."""
    shared_renderer.resize(WIDTH, HEIGHT, samples=0)
    shared_renderer.set_background(SolidColour(BACKGROUND))
    shared_renderer.set_overlay(None)
    shared_renderer.background_copy = "blit"
    return shared_renderer


def draw(
    renderer: AvatarRenderer,
    model: AvatarModel,
    rotations: dict[int, np.ndarray] | None = None,
    morphs: dict[int, np.ndarray] | None = None,
    camera: Camera = CAMERA,
) -> np.ndarray:
    renderer.load(model)
    renderer.render(world_matrices(model, rotations), morphs, camera)
    return renderer.read_rgb().copy()


def pixel(frame: np.ndarray, point: Sequence[float], camera: Camera = CAMERA) -> np.ndarray:
    """The frame's colour where world ``point`` lands."""
    height, width = frame.shape[:2]
    x, y = camera.project(np.asarray(point, float), width, height)
    return frame[int(y), int(x)].astype(int)


def is_background(colour: np.ndarray) -> bool:
    return tuple(colour) == BACKGROUND


# --- drawing ------------------------------------------------------------------------------


def test_msaa_is_chosen_for_the_hardware() -> None:
    with AvatarRenderer(64, 64) as renderer:  # no ``samples``: off on llvmpipe, 4× on a GPU
        assert renderer.samples == (0 if renderer.is_software else 4)


def test_avatar_is_drawn_over_an_exact_background(renderer: AvatarRenderer) -> None:
    frame = draw(renderer, arm_model())
    assert not is_background(pixel(frame, (0.25, 0, 0.1)))
    assert not is_background(pixel(frame, (0.9, 0, 0.1)))
    avatar = np.any(frame != BACKGROUND, axis=2)
    assert 0.01 < avatar.mean() < 0.2  # the arm, and nothing else
    assert (frame[~avatar] == BACKGROUND).all()
    assert is_background(pixel(frame, (-0.5, 0, 0))) and is_background(pixel(frame, (0, 0.5, 0)))


def test_rotating_the_shoulder_swings_the_arm_up(renderer: AvatarRenderer) -> None:
    up = {1: quat_from_axis_angle([0, 0, 1], np.pi / 2)}
    frame = draw(renderer, arm_model(), up)
    assert not is_background(pixel(frame, (0, 0.75, 0.1)))  # the arm now points up
    assert is_background(pixel(frame, (0.75, 0, 0.1)))  # and has left the right side


def test_bending_the_elbow_moves_only_the_forearm(renderer: AvatarRenderer) -> None:
    bent = {2: quat_from_axis_angle([0, 0, 1], np.pi / 2)}
    frame = draw(renderer, arm_model(), bent)
    assert not is_background(pixel(frame, (0.25, 0, 0.1)))  # upper arm stays
    assert not is_background(pixel(frame, (0.5, 0.35, 0.1)))  # forearm points up
    assert is_background(pixel(frame, (0.85, 0, 0.1)))


def test_morph_weight_one_raises_the_top(renderer: AvatarRenderer) -> None:
    above = (0, 0.75, 0.1)
    assert is_background(pixel(draw(renderer, morph_model(), morphs={0: np.zeros(1)}), above))
    raised = draw(renderer, morph_model(), morphs={0: np.ones(1)})
    assert not is_background(pixel(raised, above))
    half = draw(renderer, morph_model(), morphs={0: np.array([0.5])})
    assert not is_background(pixel(half, (0, 0.65, 0.1)))
    assert is_background(pixel(half, (0, 0.85, 0.1)))


def test_the_eight_largest_morph_weights_win(renderer: AvatarRenderer) -> None:
    # Nine small weights on targets that do nothing come first; the big one is last.
    weights = np.array([0.1] * 9 + [1.0])
    frame = draw(renderer, morph_model(dummy_targets=9), morphs={0: weights})
    assert not is_background(pixel(frame, (0, 0.75, 0.1)))


def test_default_weights_apply_when_a_mesh_gets_none(renderer: AvatarRenderer) -> None:
    model = morph_model()
    mesh = model.meshes[0]
    risen = Mesh(mesh.name, mesh.primitives, ("rise",), (1.0,))
    model = rigid_model([risen], list(model.materials))
    assert not is_background(pixel(draw(renderer, model), (0, 0.75, 0.1)))


def test_texture_times_factor_times_vertex_colour(renderer: AvatarRenderer) -> None:
    colours = np.tile(np.array([1.0, 1.0, 0.5, 1.0], np.float32), (4, 1))
    material = Material(
        "tex", base_color=(1.0, 0.5, 1.0, 1.0), texture=quadrant_texture(), unlit=True
    )
    model = rigid_model([Mesh("quad", (with_material(quad(), 0, colours),))], [material])
    frame = draw(renderer, model)
    # Linear 0.5 is sRGB 188: the factors multiply in linear light, as glTF says.
    expected = {
        (-0.25, 0.25): (255, 0, 0),
        (0.25, 0.25): (0, 188, 0),
        (-0.25, -0.25): (0, 0, 188),
        (0.25, -0.25): (255, 188, 188),
    }
    for (x, y), colour in expected.items():
        assert np.abs(pixel(frame, (x, y, 0)) - colour).max() <= 4, (x, y)


def test_mask_discards_below_the_cutoff(renderer: AvatarRenderer) -> None:
    material = Material("cut", texture=quadrant_texture(alpha_left=0), alpha_mode="MASK")
    frame = draw(renderer, rigid_model([Mesh("quad", (quad(),))], [material]))
    assert is_background(pixel(frame, (-0.25, 0.25, 0)))
    assert is_background(pixel(frame, (-0.25, -0.25, 0)))
    assert not is_background(pixel(frame, (0.25, 0.25, 0)))


def test_blend_is_drawn_after_opaque_without_hiding_it(renderer: AvatarRenderer) -> None:
    glass = Material("glass", base_color=(1.0, 1.0, 1.0, 0.5), alpha_mode="BLEND", unlit=True)
    wall = Material("wall", base_color=(0.0, 0.0, 1.0, 1.0), unlit=True)
    front = with_material(quad(z=0.3, size=1.0), 0)  # listed first: must still go last
    behind = with_material(quad(z=0.0, size=2.0), 1)
    model = rigid_model([Mesh("glass", (front,)), Mesh("wall", (behind,))], [glass, wall])
    frame = draw(renderer, model)
    assert np.abs(pixel(frame, (0, 0, 0.3)) - (128, 128, 255)).max() <= 4
    assert np.abs(pixel(frame, (0.8, 0.8, 0)) - (0, 0, 255)).max() <= 4


def test_translucent_layers_are_drawn_farthest_first(renderer: AvatarRenderer) -> None:
    renderer.set_background(SolidColour((0, 0, 0)))
    red = Material("red", base_color=(1.0, 0.0, 0.0, 0.5), alpha_mode="BLEND", unlit=True)
    blue = Material("blue", base_color=(0.0, 0.0, 1.0, 0.5), alpha_mode="BLEND", unlit=True)
    near, far = with_material(quad(z=0.3), 0), with_material(quad(z=0.0, size=1.5), 1)
    model = rigid_model([Mesh("near", (near,)), Mesh("far", (far,))], [red, blue])
    # Blue at half over black, then red at half over that (blending is on sRGB values).
    assert np.abs(pixel(draw(renderer, model), (0, 0, 0.3)) - (128, 0, 64)).max() <= 3


def test_back_faces_are_culled_unless_double_sided(renderer: AvatarRenderer) -> None:
    behind = Camera.look_at(np.array([0.0, 0.0, -4.0]), np.zeros(3), WIDTH / HEIGHT)
    for double_sided, visible in ((False, False), (True, True)):
        material = Material("sheet", double_sided=double_sided)
        frame = draw(renderer, rigid_model([Mesh("q", (quad(),))], [material]), camera=behind)
        assert (not is_background(pixel(frame, (0, 0, 0), behind))) == visible


# --- background, overlay, output ----------------------------------------------------------


def gradient(width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // width, y * 255 // height, (x + y) % 256], -1).astype(np.uint8)


# With MSAA a blit cannot fill the multisampled target: the renderer draws the quad instead.
@pytest.mark.parametrize(("copy", "samples"), [("blit", 0), ("quad", 0), ("blit", 4)])
def test_picture_background_is_copied_exactly(
    renderer: AvatarRenderer, copy: BackgroundCopy, samples: int
) -> None:
    renderer.resize(WIDTH, HEIGHT, samples)
    renderer.background_copy = copy
    picture = gradient(WIDTH, HEIGHT)
    renderer.set_background(ImageBackground(picture))
    frame = draw(renderer, arm_model())
    avatar_free = np.ones((HEIGHT, WIDTH), bool)
    avatar_free[HEIGHT // 3 : 2 * HEIGHT // 3, WIDTH // 2 :] = False  # where the arm is
    assert (frame[avatar_free] == picture[avatar_free]).all()
    assert not is_background(pixel(frame, (0.5, 0, 0.1)))


def test_msaa_renders_the_same_picture_with_softer_edges(renderer: AvatarRenderer) -> None:
    plain = draw(renderer, arm_model())
    renderer.resize(WIDTH, HEIGHT, samples=4)
    smooth = draw(renderer, arm_model())
    assert renderer.samples == 4
    assert np.abs(plain.astype(int) - smooth).mean() < 1.0
    edge_colours = {tuple(c) for c in smooth.reshape(-1, 3)} - {
        tuple(c) for c in plain.reshape(-1, 3)
    }
    assert edge_colours  # antialiased edges blend colours that aliasing never makes


def test_watermark_overlay_is_blended_bottom_right(renderer: AvatarRenderer) -> None:
    mark = watermark(WIDTH, HEIGHT)
    renderer.set_overlay(mark)
    frame = draw(renderer, arm_model())
    h, w = mark.rgba.shape[:2]
    region = frame[mark.y : mark.y + h, mark.x : mark.x + w]
    assert mark.x > WIDTH * 0.7 and mark.y > HEIGHT * 0.8
    assert (region != BACKGROUND).any(axis=2).mean() > 0.05
    assert (region.astype(int).sum(axis=2) > sum(BACKGROUND)).any()  # lighter: white text
    renderer.set_overlay(None)
    renderer.render(world_matrices(arm_model()), None, CAMERA)
    assert (renderer.read_rgb()[mark.y : mark.y + h, mark.x : mark.x + w] == BACKGROUND).all()


# 640x360: three passes into FFmpeg's exact buffer; 202x98: the one-pass layout for sizes
# that are even but not multiples of 8 and 4.
@pytest.mark.parametrize("size", [(WIDTH, HEIGHT), (202, 98)])
def test_yuv420p_matches_pyav(renderer: AvatarRenderer, size: tuple[int, int]) -> None:
    width, height = size
    renderer.resize(width, height)
    renderer.set_background(ImageBackground(gradient(width, height)))
    camera = Camera.look_at(np.array([0.0, 0.0, 3.0]), np.zeros(3), width / height)
    rgb = draw(renderer, arm_model(), camera=camera)
    assert not is_background(pixel(rgb, (0.5, 0, 0.1), camera))
    yuv = renderer.read_yuv420p()
    assert yuv.shape == (height * 3 // 2, width) and yuv.dtype == np.uint8
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    reference = frame.reformat(format="yuv420p").to_ndarray().astype(int)
    difference = np.abs(reference - yuv)
    assert difference[:height].max() <= 1  # luma: rounding only
    # Chroma: we average 2×2 pixels; swscale's default filter differs only along edges.
    assert difference[height:].mean() < 0.5
    boxed = frame.reformat(format="yuv420p", interpolation="AREA").to_ndarray().astype(int)
    assert np.abs(boxed - yuv)[height:].max() <= 2


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (202, 98)])
def test_output_sizes(renderer: AvatarRenderer, size: tuple[int, int]) -> None:
    width, height = size
    renderer.resize(width, height)
    renderer.load(arm_model())
    camera = Camera.look_at(np.array([0.0, 0.0, 4.0]), np.zeros(3), width / height)
    renderer.render(world_matrices(arm_model()), None, camera)
    rgb = renderer.read_rgb()
    assert rgb.shape == (height, width, 3)
    assert not is_background(pixel(rgb, (0.5, 0, 0.1), camera))
    yuv = renderer.read_yuv420p()
    assert yuv.shape == (height * 3 // 2, width)
    luma = 16 + (65.481 * BACKGROUND[0] + 128.553 * BACKGROUND[1] + 24.966 * BACKGROUND[2]) / 255
    assert abs(int(yuv[0, 0]) - luma) <= 1


def test_odd_sizes_are_refused(renderer: AvatarRenderer) -> None:
    with pytest.raises(ValueError, match="even"):
        renderer.resize(641, 360)


def test_loading_another_model_keeps_the_context(renderer: AvatarRenderer) -> None:
    context = renderer.context
    draw(renderer, arm_model())
    frame = draw(renderer, morph_model(), morphs={0: np.ones(1)})
    assert renderer.context is context
    assert not is_background(pixel(frame, (0, 0.75, 0.1)))
    assert renderer.stats.render_ms > 0 and renderer.stats.readback_ms > 0


def test_a_model_that_fails_to_load_leaves_the_previous_one(renderer: AvatarRenderer) -> None:
    draw(renderer, arm_model())
    broken = arm_model()
    broken = AvatarModel(
        broken.nodes, broken.meshes, (Skin((1,), broken.skins[0].inverse_bind[:1]),),
        broken.materials, broken.instances,
    )  # fmt: skip
    with pytest.raises(ValueError, match="joint 1 of a palette of 1"):
        renderer.load(broken)
    renderer.render(world_matrices(arm_model()), None, CAMERA)
    assert not is_background(pixel(renderer.read_rgb(), (0.9, 0, 0.1)))


def test_rendering_without_a_model_says_so() -> None:
    with AvatarRenderer(64, 64) as fresh:
        with pytest.raises(RuntimeError, match="load"):
            fresh.render(np.zeros((1, 4, 4)))
        fresh.load(arm_model())
        with pytest.raises(ValueError, match="3 nodes"):
            fresh.render(np.zeros((2, 4, 4)))


def test_missing_egl_is_explained() -> None:
    with pytest.raises(RendererUnavailable, match="libegl-mesa0"):
        AvatarRenderer(64, 64, backend="no-such-backend")


# --- framing and thumbnails ---------------------------------------------------------------


def test_framing_presets(renderer: AvatarRenderer) -> None:
    model, humanoid = stick_figure()
    world = world_matrices(model)
    head, hips, foot = (world[humanoid[b]][:3, 3] for b in ("head", "hips", "leftFoot"))
    cameras = {
        preset: frame_avatar(model, world, preset, WIDTH / HEIGHT, humanoid)
        for preset in ("head", "upper_body", "full_body")
    }
    at = {p: c.project(np.array([head, hips, foot]), WIDTH, HEIGHT) for p, c in cameras.items()}
    head_x, head_y = at["head"][0]
    assert abs(head_x - WIDTH / 2) < WIDTH * 0.05
    assert 0.2 * HEIGHT < head_y < 0.6 * HEIGHT  # the upper middle
    assert at["head"][1][1] > HEIGHT  # hips out of a head shot
    assert 0 < at["upper_body"][0][1] < at["upper_body"][1][1] < HEIGHT  # head and hips in
    assert at["upper_body"][2][1] > HEIGHT  # feet out
    assert at["full_body"][0][1] > 0 and at["full_body"][2][1] < HEIGHT  # head to feet
    # The head grows from one preset to the next.
    heights = [cameras[p].projection[1, 1] / cameras[p].eye[2] for p in cameras]
    assert heights[0] > heights[1] > heights[2]
    frame = draw(renderer, model, camera=cameras["full_body"])
    rows = np.flatnonzero(np.any(frame != BACKGROUND, axis=(1, 2)))
    assert rows[0] > 0 and rows[-1] < HEIGHT - 1  # all of it, with a margin
    assert rows[-1] - rows[0] > 0.8 * HEIGHT  # and filling the frame


def test_framing_without_bones_uses_the_bounds() -> None:
    model, _ = stick_figure()
    world = world_matrices(model)
    low, high = bounds(model, world)
    assert np.allclose(low, (-0.15, 0, -0.1), atol=1e-5)
    assert np.allclose(high, (0.15, 1.72, 0.12), atol=1e-5)
    head = frame_avatar(model, world, "head", 16 / 9)
    full = frame_avatar(model, world, "full_body", 16 / 9)
    top = head.project(np.array([0.0, 1.72, 0.0]), WIDTH, HEIGHT)[1]
    assert 0 < top < 0.2 * HEIGHT  # the top of the head near the top edge
    assert full.eye[2] > head.eye[2]


def test_thumbnail_is_a_png_of_the_head(renderer: AvatarRenderer) -> None:
    model, humanoid = stick_figure()
    png = render_thumbnail(model, renderer, size=128, humanoid=humanoid)
    picture = np.asarray(Image.open(io.BytesIO(png)))
    assert picture.shape == (128, 128, 3)
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 10
    assert renderer.size == (WIDTH, HEIGHT)  # the stream's size is restored
    assert renderer.background == SolidColour(BACKGROUND)
