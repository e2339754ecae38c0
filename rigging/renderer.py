"""Draw an ``AvatarModel`` offscreen with OpenGL 3.3 (moderngl on EGL) and read frames back.

One ``AvatarRenderer`` owns one standalone EGL context for its whole life: creating one costs
60–270 ms and the first frame compiles shaders, so a worker creates it once and switches
models with ``load`` (which only replaces buffers and textures). It runs on Mesa's llvmpipe
(CPU) as well as on NVIDIA's EGL.

Per frame: the background is cleared to (solid colours) or blitted into (pictures) the
framebuffer, the avatar is drawn over it — skinned on the GPU (4 joints per vertex, the joint
palette in a float texture), with up to 8 morph targets (deltas in a float texture fetched by
``gl_VertexID``), toon or lit shading — then the optional overlay (the watermark). The frame
is read back as RGB (``read_rgb``) or as finished yuv420p bytes converted on the GPU
(``read_yuv420p``: half the bytes and no colour conversion on the CPU; on llvmpipe the pass
costs about what swscale would, on a real GPU next to nothing); benchmarks/render.py
measures each stage. Why textures for the palette and the morph deltas (measured on
llvmpipe when this was written): a texture palette drew 60k skinned triangles in 13 ms
against 19–23 ms for a ``mat4[256]`` uniform array, and has no uniform-size limit (NVIDIA
allows ~256 mat4 per stage); deltas fetched by vertex id cost about what 8 extra vertex
attributes cost, and the active targets can change every frame without rebuilding VAOs.

Threads: an OpenGL context is current in one thread at a time. Use a renderer from one thread
(the worker's render thread); every public method enters the context (``with ctx:``), so
several renderers can share that thread, but no two threads may call one renderer at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import moderngl
import numpy as np

from rigging import shaders
from rigging.background import Background, ChromaKey, ImageBackground, SolidColour, prepare
from rigging.framing import Camera, frame_avatar
from rigging.model import AvatarModel, Material, Mesh, Primitive
from rigging.skeleton import joint_palette, world_matrices
from rigging.watermark import Overlay

GL_SRGB8_ALPHA8 = 0x8C43  # textures hold sRGB colours; the GL decodes them to linear
DEBIAN_PACKAGES = "libegl1 libgl1 libegl-mesa0 libgbm1 libgl1-mesa-dri"
# The projection is flipped in y so the framebuffer's row 0 is the picture's top row:
# readback is then already top-row-first, with no flip on the CPU.
FLIP_Y = np.diag([1.0, -1.0, 1.0, 1.0])
ALPHA_MODES = {"OPAQUE": 0, "MASK": 1, "BLEND": 2}

BackgroundCopy = Literal["blit", "quad"]


class RendererUnavailable(RuntimeError):
    """No OpenGL 3.3 context could be created (no EGL, no Mesa, no GPU driver)."""


@dataclass
class RenderStats:
    """Times of the latest calls, for the pipeline's stage display (milliseconds)."""

    render_ms: float = 0.0  # ``render``: draw calls until the GPU finished
    readback_ms: float = 0.0  # ``read_rgb`` / ``read_yuv420p``, conversion pass included
    frames: int = 0

    def reset(self) -> None:
        """Back to zero, in place (holders of this object see the reset)."""
        self.render_ms = self.readback_ms = 0.0
        self.frames = 0


@dataclass(eq=False)
class _GpuPrimitive:
    """One primitive's GL objects and what drawing it needs each frame."""

    vao: moderngl.VertexArray
    material: int
    vertex_count: int
    morphs: moderngl.Texture | None
    morph_stride: int
    target_count: int
    centroid: np.ndarray  # (4,) homogeneous, mesh space: for sorting BLEND draws
    anchor_joint: int  # the palette row that moves the centroid the most


@dataclass(eq=False)
class _Draw:
    """One primitive of one mesh instance."""

    primitive: _GpuPrimitive
    mesh: int
    palette_base: int
    blend: bool


@dataclass(eq=False)
class _GpuModel:
    """A model as uploaded: draws in file order, and everything to release on switching."""

    model: AvatarModel
    draws: list[_Draw]
    textures: list[moderngl.Texture | None]  # per material
    palette: moderngl.Texture
    rest_world: np.ndarray
    resources: list = field(default_factory=list)
    cameras: dict[float, Camera] = field(default_factory=dict)  # default framing per aspect


def _create_context(backend: str) -> moderngl.Context:
    try:
        return moderngl.create_standalone_context(backend=backend, require=330)
    except Exception as exc:  # glcontext raises bare Exceptions for every EGL failure
        raise RendererUnavailable(
            f"cannot create an OpenGL 3.3 context with {backend.upper()} ({exc}). On Debian "
            f"install {DEBIAN_PACKAGES} (Mesa's software renderer is enough); on an NVIDIA "
            "machine, the driver's EGL libraries (libnvidia-egl / libEGL_nvidia.so.0)."
        ) from exc


class AvatarRenderer:
    """Renders avatars into an offscreen frame of ``width``×``height`` (both even).

    ``samples`` is the MSAA sample count (0: off). ``None`` (the default) picks for the
    hardware: 4× on a GPU, where it costs about 1 ms a frame at 720p, and off on llvmpipe,
    where it doubles the frame time (both measured in benchmarks/RESULTS.md).
    """

    def __init__(
        self, width: int = 1280, height: int = 720, samples: int | None = None, backend: str = "egl"
    ) -> None:
        self._ctx = _create_context(backend)
        self.stats = RenderStats()
        # "blit" copies the background with glBlitFramebuffer; "quad" draws it as a textured
        # full-screen triangle (MSAA targets always use the quad: a blit cannot fill them).
        self.background_copy: BackgroundCopy = "blit"
        self._model: _GpuModel | None = None
        self._background: Background = SolidColour((0, 0, 0))
        self._clear_rgb: tuple[int, int, int] | None = (0, 0, 0)
        self._overlay: Overlay | None = None
        self._overlay_texture: moderngl.Texture | None = None
        self._background_texture: moderngl.Texture | None = None
        self._background_fbo: moderngl.Framebuffer | None = None
        self._targets: list = []
        with self._ctx:
            self._compile()
            if samples is None:
                samples = 0 if self.is_software else min(4, self._ctx.max_samples)
            self._create_targets(width, height, samples)

    # ----------------------------------------------------------------------------- set-up

    @property
    def context(self) -> moderngl.Context:
        """The moderngl context: one per renderer, kept across ``load`` and ``resize``."""
        return self._ctx

    @property
    def info(self) -> str:
        """The OpenGL renderer string, e.g. ``llvmpipe (LLVM 15.0.6, 256 bits)``."""
        return str(self._ctx.info["GL_RENDERER"])

    @property
    def is_software(self) -> bool:
        """True on Mesa's CPU rasterisers (llvmpipe, softpipe), where triangles cost CPU."""
        return any(name in self.info.lower() for name in ("llvmpipe", "softpipe", "swrast"))

    @property
    def size(self) -> tuple[int, int]:
        """Output (width, height) in pixels."""
        return self._width, self._height

    @property
    def samples(self) -> int:
        """MSAA samples per pixel (0: off)."""
        return self._samples

    def _compile(self) -> None:
        ctx = self._ctx
        self._avatar = ctx.program(
            vertex_shader=shaders.AVATAR_VERTEX, fragment_shader=shaders.AVATAR_FRAGMENT
        )
        self._copy = ctx.program(
            vertex_shader=shaders.FULLSCREEN_VERTEX, fragment_shader=shaders.COPY_FRAGMENT
        )
        self._rect = ctx.program(
            vertex_shader=shaders.RECT_VERTEX, fragment_shader=shaders.COPY_FRAGMENT
        )
        self._yuv = ctx.program(
            vertex_shader=shaders.FULLSCREEN_VERTEX, fragment_shader=shaders.YUV420P_FRAGMENT
        )
        self._luma = ctx.program(
            vertex_shader=shaders.FULLSCREEN_VERTEX, fragment_shader=shaders.YUV_LUMA_FRAGMENT
        )
        self._chroma = ctx.program(
            vertex_shader=shaders.FULLSCREEN_VERTEX, fragment_shader=shaders.YUV_CHROMA_FRAGMENT
        )
        self._copy_vao = ctx.vertex_array(self._copy, [])
        self._rect_vao = ctx.vertex_array(self._rect, [])
        self._yuv_vao = ctx.vertex_array(self._yuv, [])
        self._luma_vao = ctx.vertex_array(self._luma, [])
        self._chroma_vao = ctx.vertex_array(self._chroma, [])
        for program in (self._copy, self._rect):
            program["u_image"] = 0
        for program in (self._yuv, self._luma, self._chroma):
            program["u_rgb"] = 0
        self._set(self._avatar, u_base_texture=0, u_palette=1, u_morphs=2)
        # Bound for primitives without morph targets: sampling no texture is undefined.
        self._no_morphs = ctx.texture((1, 1), 4, np.zeros(4, np.float16), dtype="f2")
        self._max_texture = int(ctx.info["GL_MAX_TEXTURE_SIZE"])

    @staticmethod
    def _set(program: moderngl.Program, **values: object) -> None:
        # A driver may drop a uniform that it proves unused: setting it is then a no-op.
        for name, value in values.items():
            uniform = program.get(name, None)
            if uniform is not None:
                uniform.value = value

    def _create_targets(self, width: int, height: int, samples: int) -> None:
        if width < 2 or height < 2 or width % 2 or height % 2:
            raise ValueError(f"the output size must be even (yuv420p), not {width}x{height}")
        if max(width, height) > self._max_texture:
            raise ValueError(f"{width}x{height} exceeds this GL's {self._max_texture} pixels")
        if samples not in (0, 2, 4, 8) or samples > self._ctx.max_samples:
            raise ValueError(f"MSAA samples must be 0 or ≤ {self._ctx.max_samples}: {samples}")
        for target in self._targets:
            target.release()
        ctx, size = self._ctx, (width, height)
        self._width, self._height, self._samples = width, height, samples
        self._color = ctx.texture(size, 4)
        self._depth = ctx.depth_renderbuffer(size)
        self._fbo = ctx.framebuffer([self._color], self._depth)
        self._targets = [self._fbo, self._color, self._depth]
        self._msaa_fbo = None
        if samples:
            colour = ctx.renderbuffer(size, 4, samples=samples)
            depth = ctx.depth_renderbuffer(size, samples=samples)
            self._msaa_fbo = ctx.framebuffer([colour], depth)
            self._targets += [self._msaa_fbo, colour, depth]
        self._create_yuv_target(width, height)
        self._rgb_buffer = np.empty((height, width, 3), np.uint8)
        self._upload_background()

    def _create_yuv_target(self, width: int, height: int) -> None:
        # yuv420p is W×H×1.5 bytes, written 4 bytes per RGBA8 texel. The three-pass layout
        # (W/4 texels per row, no padding) needs W % 8 == 0 and H % 4 == 0; other even
        # sizes use one slower pass over a W/2-texel-wide target with a padded tail.
        self._yuv_planar = width % 8 == 0 and height % 4 == 0
        if self._yuv_planar:
            size = (width // 4, height * 3 // 2)
        else:
            size = (width // 2, math.ceil(height * 3 / 4))
        self._yuv_texture = self._ctx.texture(size, 4)
        self._yuv_fbo = self._ctx.framebuffer([self._yuv_texture])
        self._targets += [self._yuv_fbo, self._yuv_texture]
        self._yuv_buffer = np.empty(size[0] * size[1] * 4, np.uint8)
        self._set(self._yuv, u_width=width, u_height=height)
        self._set(self._chroma, u_row_texels=width // 8, u_pixel=(1 / width, 1 / height))

    def resize(self, width: int, height: int, samples: int | None = None) -> None:
        """Change the output size (and MSAA samples): new framebuffers, same context.

        A picture background is prepared again for the new size; an overlay is positioned
        in pixels, so set one made for the new size (``watermark(width, height)``).
        """
        with self._ctx:
            self._create_targets(width, height, self._samples if samples is None else samples)

    # ------------------------------------------------------------------ background, overlay

    @property
    def background(self) -> Background:
        """The background as last set."""
        return self._background

    @property
    def overlay(self) -> Overlay | None:
        """The overlay as last set (None: none)."""
        return self._overlay

    def set_background(self, background: Background | np.ndarray) -> None:
        """What the avatar is drawn over: a ``Background`` value, or an (H, W, 3) uint8
        picture (used as is at the output size, else like ``ImageBackground(picture)``).
        Pictures are resampled and uploaded here, once, not per frame."""
        if isinstance(background, np.ndarray):
            background = ImageBackground(background)  # checks dtype and shape
        self._background = background
        with self._ctx:
            self._upload_background()

    def _upload_background(self) -> None:
        background = self._background
        if self._background_fbo is not None:
            self._background_fbo.release()
            self._background_texture.release()
            self._background_fbo = self._background_texture = None
        self._clear_rgb = None
        if isinstance(background, SolidColour | ChromaKey):
            self._clear_rgb = background.rgb  # a clear is exact and free: no picture
            return
        picture = prepare(background, self._width, self._height)
        self._background_texture = self._ctx.texture((self._width, self._height), 3, picture)
        self._background_fbo = self._ctx.framebuffer([self._background_texture])

    def set_overlay(self, overlay: Overlay | None) -> None:
        """An RGBA picture blended over every frame last (the watermark); None: nothing."""
        with self._ctx:
            if self._overlay_texture is not None:
                self._overlay_texture.release()
                self._overlay_texture = None
            self._overlay = overlay
            if overlay is not None:
                h, w = overlay.rgba.shape[:2]
                rgba = np.ascontiguousarray(overlay.rgba)
                self._overlay_texture = self._ctx.texture((w, h), 4, rgba)
                self._overlay_texture.filter = (moderngl.NEAREST, moderngl.NEAREST)

    # ------------------------------------------------------------------------- models

    def load(self, model: AvatarModel) -> None:
        """Upload ``model`` (replacing the previous one; the context is kept) and draw it
        once, so shader variants compile now rather than on the first streamed frame."""
        with self._ctx:
            # Upload first: a model that fails leaves the previous one loaded and drawable.
            uploaded = _upload_model(self._ctx, self._avatar, model, self._max_texture)
            self._release_model()
            self._model = uploaded
        self.render(uploaded.rest_world)
        self.stats.reset()

    def _release_model(self) -> None:
        if self._model is None:
            return
        for resource in self._model.resources:
            resource.release()
        self._model = None

    def default_camera(self) -> Camera:
        """The full-body framing of the loaded model's rest pose at the output's aspect."""
        model = self._require_model()
        aspect = self._width / self._height
        if aspect not in model.cameras:
            humanoid = model.model.vrm.humanoid if model.model.vrm else None
            model.cameras[aspect] = frame_avatar(
                model.model, model.rest_world, "full_body", aspect, humanoid
            )
        return model.cameras[aspect]

    def _require_model(self) -> _GpuModel:
        if self._model is None:
            raise RuntimeError("no avatar loaded: call AvatarRenderer.load(model) first")
        return self._model

    # ------------------------------------------------------------------------ drawing

    def render(
        self,
        world: np.ndarray,
        morph_weights: Mapping[int, np.ndarray] | None = None,
        camera: Camera | None = None,
    ) -> None:
        """Draw one frame: the loaded model posed by ``world`` ((N, 4, 4) from
        ``skeleton.world_matrices``), with ``morph_weights`` (mesh index → weights; meshes
        left out use their default weights), seen by ``camera`` (default: full body)."""
        started = time.perf_counter()
        model = self._require_model()
        if world.shape != (len(model.model.nodes), 4, 4):
            raise ValueError(f"world is {world.shape}: the loaded model has "
                             f"{len(model.model.nodes)} nodes")  # fmt: skip
        camera = camera or self.default_camera()
        with self._ctx:
            palettes = self._upload_palettes(model, world)
            target = self._msaa_fbo or self._fbo
            target.use()
            self._draw_background(target)
            self._draw_avatar(model, palettes, morph_weights or {}, camera, target)
            if self._msaa_fbo is not None:
                self._ctx.copy_framebuffer(self._fbo, self._msaa_fbo)
            self._draw_overlay()
            self._ctx.finish()  # so render_ms is the drawing, not the next readback's wait
        self.stats.render_ms = (time.perf_counter() - started) * 1000
        self.stats.frames += 1

    def _upload_palettes(self, model: _GpuModel, world: np.ndarray) -> np.ndarray:
        palettes = np.concatenate(
            [joint_palette(model.model, world, i) for i in model.model.instances]
        )
        # Texture rows are joints, the 4 texels of a row its columns (GLSL mat4 layout).
        model.palette.write(np.ascontiguousarray(palettes.transpose(0, 2, 1)))
        return palettes

    def _draw_background(self, target: moderngl.Framebuffer) -> None:
        ctx = self._ctx
        if self._clear_rgb is not None:
            r, g, b = (c / 255 for c in self._clear_rgb)
            target.clear(r, g, b, 1.0, depth=1.0)
            return
        target.clear(depth=1.0)
        if self.background_copy == "blit" and self._msaa_fbo is None:
            ctx.copy_framebuffer(target, self._background_fbo)
            target.use()  # the blit rebinds framebuffers
            return
        ctx.disable(moderngl.DEPTH_TEST | moderngl.BLEND | moderngl.CULL_FACE)
        self._background_texture.use(0)
        self._copy_vao.render(moderngl.TRIANGLES, vertices=3)

    def _draw_avatar(
        self,
        model: _GpuModel,
        palettes: np.ndarray,
        morph_weights: Mapping[int, np.ndarray],
        camera: Camera,
        target: moderngl.Framebuffer,
    ) -> None:
        ctx, program = self._ctx, self._avatar
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.BLEND)
        ctx.front_face = "cw"  # the y flip mirrors the winding
        ctx.cull_face = "back"
        program["u_view"].write(_gl_matrix(camera.view))
        program["u_projection"].write(_gl_matrix(FLIP_Y @ camera.projection))
        model.palette.use(1)
        morphs = {
            index: _active_morphs(morph_weights.get(index, mesh.default_weights), mesh)
            for index, mesh in enumerate(model.model.meshes)
        }
        for draw in model.draws:
            if not draw.blend:
                self._draw(model, draw, morphs[draw.mesh])
        blended = [d for d in model.draws if d.blend]
        if not blended:
            return
        ctx.enable(moderngl.BLEND)
        ctx.blend_func = (
            moderngl.SRC_ALPHA,
            moderngl.ONE_MINUS_SRC_ALPHA,
            moderngl.ONE,
            moderngl.ONE_MINUS_SRC_ALPHA,
        )
        target.depth_mask = False  # translucent layers must not hide each other
        for draw in _back_to_front(blended, palettes, camera.view):
            self._draw(model, draw, morphs[draw.mesh])
        target.depth_mask = True
        ctx.disable(moderngl.BLEND)

    def _draw(self, model: _GpuModel, draw: _Draw, morphs: _Morphs) -> None:
        primitive = draw.primitive
        material = model.model.materials[primitive.material]
        texture = model.textures[primitive.material]
        if material.double_sided:
            self._ctx.disable(moderngl.CULL_FACE)
        else:
            self._ctx.enable(moderngl.CULL_FACE)
        if texture is not None:
            texture.use(0)
        (primitive.morphs or self._no_morphs).use(2)
        if primitive.morphs is None:
            morphs = _NO_MORPHS
        elif max(morphs.targets) >= primitive.target_count:
            morphs = morphs.limited_to(primitive.target_count)  # glTF says equal; be safe
        self._set(
            self._avatar,
            u_palette_base=draw.palette_base,
            u_has_texture=texture is not None,
            u_base_color=material.base_color,
            u_emissive=material.emissive,
            u_alpha_mode=ALPHA_MODES[material.alpha_mode],
            u_alpha_cutoff=material.alpha_cutoff,
            u_toon=material.unlit,
            u_morph_count=morphs.count,
            u_morph_target=morphs.targets,
            u_morph_weight=morphs.weights,
            u_morph_stride=primitive.morph_stride,
            u_vertex_count=primitive.vertex_count,
        )
        primitive.vao.render(moderngl.TRIANGLES)

    def _draw_overlay(self) -> None:
        if self._overlay is None or self._overlay_texture is None:
            return
        ctx, overlay = self._ctx, self._overlay
        self._fbo.use()
        h, w = overlay.rgba.shape[:2]
        x0, y0 = overlay.x / self._width * 2 - 1, overlay.y / self._height * 2 - 1
        x1, y1 = x0 + w / self._width * 2, y0 + h / self._height * 2
        self._rect["u_rect"] = (x0, y0, x1, y1)
        ctx.disable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        ctx.enable(moderngl.BLEND)
        ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self._overlay_texture.use(0)
        self._rect_vao.render(moderngl.TRIANGLE_STRIP, vertices=4)
        ctx.disable(moderngl.BLEND)

    # ------------------------------------------------------------------------ readback

    def read_rgb(self, out: np.ndarray | None = None) -> np.ndarray:
        """The last frame as (H, W, 3) uint8 RGB, top row first.

        Without ``out`` it is the renderer's own buffer, overwritten by the next call: copy
        it (or pass ``out``, a C-contiguous array of that shape) to keep a frame.
        """
        started = time.perf_counter()
        out = self._rgb_buffer if out is None else out
        if out.shape != (self._height, self._width, 3) or not out.flags.c_contiguous:
            raise ValueError(f"out must be a contiguous ({self._height}, {self._width}, 3) array")
        with self._ctx:
            self._fbo.read_into(out, components=3, alignment=1)
        self.stats.readback_ms = (time.perf_counter() - started) * 1000
        return out

    def read_yuv420p(self) -> np.ndarray:
        """The last frame as a (H*3/2, W) uint8 array laid out as FFmpeg's yuv420p (Y, then
        U, then V; BT.601 limited range), converted on the GPU: the CPU only copies 1.5
        bytes per pixel. The array is the renderer's, overwritten by the next call."""
        started = time.perf_counter()
        with self._ctx:
            self._yuv_fbo.use()
            self._ctx.disable(moderngl.DEPTH_TEST | moderngl.BLEND | moderngl.CULL_FACE)
            self._color.use(0)
            if self._yuv_planar:
                self._convert_planes()
            else:
                self._yuv_fbo.viewport = (0, 0, *self._yuv_texture.size)
                self._yuv_vao.render(moderngl.TRIANGLES, vertices=3)
            self._yuv_fbo.read_into(self._yuv_buffer, components=4, alignment=1)
        self.stats.readback_ms = (time.perf_counter() - started) * 1000
        size = self._width * self._height * 3 // 2
        return self._yuv_buffer[:size].reshape(self._height * 3 // 2, self._width)

    def _convert_planes(self) -> None:
        """Y, U and V each drawn into its rows of the target (see ``_create_yuv_target``)."""
        texels, h = self._width // 4, self._height
        self._color.filter = (moderngl.LINEAR, moderngl.LINEAR)  # chroma: 2×2 means
        planes = (
            (self._luma, self._luma_vao, 0, h, None),
            (self._chroma, self._chroma_vao, h, h // 4, shaders.BT601_U),
            (self._chroma, self._chroma_vao, h + h // 4, h // 4, shaders.BT601_V),
        )
        for program, vao, first_row, rows, coefficients in planes:
            self._yuv_fbo.viewport = (0, first_row, texels, rows)
            self._set(program, u_origin=(0, first_row))
            if coefficients is not None:
                self._set(program, u_coeff=coefficients)
            vao.render(moderngl.TRIANGLES, vertices=3)

    def close(self) -> None:
        """Release the context and everything in it; the renderer is unusable afterwards."""
        with self._ctx:
            self._release_model()
        self._ctx.release()

    def __enter__(self) -> AvatarRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------ uploads


def _upload_model(
    ctx: moderngl.Context, program: moderngl.Program, model: AvatarModel, max_texture: int
) -> _GpuModel:
    if not model.instances:
        raise ValueError("the model has no mesh in its scene: there is nothing to draw")
    resources: list = []
    try:
        return _upload_resources(ctx, program, model, max_texture, resources)
    except Exception:
        for resource in resources:  # what was uploaded before the failure
            resource.release()
        raise


def _upload_resources(
    ctx: moderngl.Context,
    program: moderngl.Program,
    model: AvatarModel,
    max_texture: int,
    resources: list,
) -> _GpuModel:
    textures = [_upload_texture(ctx, m, resources) for m in model.materials]
    primitives: dict[int, list[_GpuPrimitive]] = {}
    draws: list[_Draw] = []
    base = 0
    for instance in model.instances:
        joints = len(model.skins[instance.skin].joints) if instance.skin is not None else 1
        mesh = model.meshes[instance.mesh]
        _check_joints(mesh, joints)
        if instance.mesh not in primitives:
            primitives[instance.mesh] = [
                _upload_primitive(ctx, program, p, max_texture, resources)
                for p in mesh.primitives
                if p.triangle_count
            ]
        for gpu in primitives[instance.mesh]:
            blend = model.materials[gpu.material].alpha_mode == "BLEND"
            draws.append(_Draw(gpu, instance.mesh, base, blend))
        base += joints
    if base > max_texture:
        raise ValueError(f"{base} joints in all: this GL's palette holds {max_texture}")
    palette = ctx.texture((4, base), 4, dtype="f4")
    palette.filter = (moderngl.NEAREST, moderngl.NEAREST)
    resources.append(palette)
    rest = world_matrices(model)
    return _GpuModel(model, draws, textures, palette, rest, resources)


def _check_joints(mesh: Mesh, joints: int) -> None:
    # An index past the palette would read outside the texture: undefined, not an error.
    for primitive in mesh.primitives:
        highest = int(primitive.joints.max()) if len(primitive.joints) else 0
        if highest >= joints:
            raise ValueError(f"mesh {mesh.name!r} uses joint {highest} of a palette of {joints}")


def _upload_texture(
    ctx: moderngl.Context, material: Material, resources: list
) -> moderngl.Texture | None:
    if material.texture is None:
        return None
    rgba = np.ascontiguousarray(material.texture, dtype=np.uint8)
    height, width = rgba.shape[:2]
    texture = ctx.texture((width, height), 4, rgba, internal_format=GL_SRGB8_ALPHA8)
    texture.build_mipmaps()
    texture.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
    resources.append(texture)
    return texture


def _upload_primitive(
    ctx: moderngl.Context,
    program: moderngl.Program,
    primitive: Primitive,
    max_texture: int,
    resources: list,
) -> _GpuPrimitive:
    n = len(primitive.positions)
    uvs = primitive.uvs if primitive.uvs is not None else np.zeros((n, 2), np.float32)
    colors = primitive.colors if primitive.colors is not None else np.ones((n, 4), np.float32)
    attributes = [
        (primitive.positions, np.float32, "3f", "in_position"),
        (primitive.normals, np.float32, "3f", "in_normal"),
        (uvs, np.float32, "2f", "in_uv"),
        (colors, np.float32, "4f", "in_color"),
        (primitive.joints, np.uint16, "4u2", "in_joints"),
        (primitive.weights, np.float32, "4f", "in_weights"),
    ]
    content = []
    for data, dtype, layout, name in attributes:
        if program.get(name, None) is None:
            continue  # dropped by the compiler: binding it would fail
        buffer = ctx.buffer(np.ascontiguousarray(data, dtype=dtype))
        resources.append(buffer)
        content.append((buffer, layout, name))
    indices = ctx.buffer(np.ascontiguousarray(primitive.indices, dtype=np.uint32))
    vao = ctx.vertex_array(program, content, index_buffer=indices, index_element_size=4)
    resources += [indices, vao]
    morphs, stride = _upload_morphs(ctx, primitive, max_texture, resources)
    return _GpuPrimitive(
        vao,
        primitive.material,
        n,
        morphs,
        stride,
        len(primitive.targets),
        np.append(primitive.positions.mean(axis=0), 1.0),
        _anchor_joint(primitive),
    )


def _anchor_joint(primitive: Primitive) -> int:
    weights = np.bincount(
        primitive.joints.ravel().astype(np.int64), weights=primitive.weights.ravel()
    )
    return int(weights.argmax()) if len(weights) else 0


def _upload_morphs(
    ctx: moderngl.Context, primitive: Primitive, max_texture: int, resources: list
) -> tuple[moderngl.Texture | None, int]:
    targets = primitive.targets
    if not targets:
        return None, 1
    stride = 2 if any(t.normals is not None for t in targets) else 1
    n = len(primitive.positions)
    # Half floats: deltas are small, so 11 bits of mantissa are sub-millimetre, at half the
    # memory of a face mesh's 50+ blend shapes.
    deltas = np.zeros((len(targets), n, stride, 4), np.float16)
    for i, target in enumerate(targets):
        deltas[i, :, 0, :3] = target.positions
        if stride == 2 and target.normals is not None:
            deltas[i, :, 1, :3] = target.normals
    texels = deltas.reshape(-1, 4)
    width = shaders.MORPH_TEXTURE_WIDTH
    rows = math.ceil(len(texels) / width)
    if rows > max_texture:
        raise ValueError(f"{len(targets)} morph targets × {n} vertices exceed one texture")
    padded = np.zeros((rows * width, 4), np.float16)
    padded[: len(texels)] = texels
    texture = ctx.texture((width, rows), 4, padded, dtype="f2")
    texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
    resources.append(texture)
    return texture, stride


# ------------------------------------------------------------------------ per frame


@dataclass(frozen=True)
class _Morphs:
    """The active targets of a mesh this frame, padded to the shader's array size."""

    targets: tuple[int, ...]
    weights: tuple[float, ...]
    count: int

    def limited_to(self, target_count: int) -> _Morphs:
        """Only the targets below ``target_count``, for a primitive that has fewer."""
        active = zip(self.targets[: self.count], self.weights[: self.count], strict=True)
        kept = [(t, w) for t, w in active if t < target_count]
        pad = shaders.MAX_ACTIVE_MORPHS - len(kept)
        return _Morphs(
            tuple(t for t, _ in kept) + (0,) * pad,
            tuple(w for _, w in kept) + (0.0,) * pad,
            len(kept),
        )


_NO_MORPHS = _Morphs((0,) * shaders.MAX_ACTIVE_MORPHS, (0.0,) * shaders.MAX_ACTIVE_MORPHS, 0)


def _active_morphs(weights: np.ndarray | tuple[float, ...], mesh: Mesh) -> _Morphs:
    """The ``MAX_ACTIVE_MORPHS`` largest non-zero weights (by magnitude)."""
    size = shaders.MAX_ACTIVE_MORPHS
    targets = max((len(p.targets) for p in mesh.primitives), default=0)
    w = np.asarray(weights, np.float32)[:targets]
    active = np.flatnonzero(np.abs(w) > 1e-5)
    if len(active) > size:
        active = active[np.argsort(-np.abs(w[active]), kind="stable")[:size]]
    pad = size - len(active)
    return _Morphs(
        tuple(int(i) for i in active) + (0,) * pad,
        tuple(float(w[i]) for i in active) + (0.0,) * pad,
        len(active),
    )


def _back_to_front(draws: list[_Draw], palettes: np.ndarray, view: np.ndarray) -> list[_Draw]:
    """Translucent draws, farthest first, by where their centroid is skinned to this frame."""

    def depth(draw: _Draw) -> float:
        matrix = palettes[draw.palette_base + draw.primitive.anchor_joint].astype(np.float64)
        return float((view @ (matrix @ draw.primitive.centroid))[2])

    return sorted(draws, key=depth)  # view space looks down −z: most negative is farthest


def _gl_matrix(matrix: np.ndarray) -> bytes:
    """A numpy (row-major) matrix as the column-major float32 bytes GLSL expects."""
    return np.ascontiguousarray(matrix.T, dtype=np.float32).tobytes()
