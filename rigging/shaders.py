"""GLSL 3.30 core sources of the avatar renderer (``rigging.renderer``).

Conventions shared with the renderer: the framebuffer's row 0 is the TOP of the picture (the
projection is flipped in y so readback needs no flip), so full-screen passes map NDC y = −1
to texture v = 0 to the first row of a top-row-first numpy picture.
"""

from __future__ import annotations

MAX_ACTIVE_MORPHS = 8
# BT.601 limited range (swscale's default for RGB → yuv420p), for RGB in 0…1.
BT601_U = (-37.797, -74.203, 112.0)
BT601_V = (112.0, -93.786, -18.214)
MORPH_TEXTURE_WIDTH = 4096  # texels per row of a morph-delta texture

# Skinning (4 joints, palette rows in a float texture) after morphing (up to 8 targets whose
# deltas are fetched by gl_VertexID), in the skeleton's world space; lighting in view space.
AVATAR_VERTEX = f"""
#version 330 core
in vec3 in_position;
in vec3 in_normal;
in vec2 in_uv;
in vec4 in_color;
in uvec4 in_joints;
in vec4 in_weights;

uniform sampler2D u_palette;   // RGBA32F, 4 texels (columns) per joint, one joint per row
uniform int u_palette_base;    // first row of this instance's joints
uniform sampler2D u_morphs;    // RGBA16F deltas: [target][vertex][position, normal?]
uniform int u_morph_count;
uniform int u_morph_target[{MAX_ACTIVE_MORPHS}];
uniform float u_morph_weight[{MAX_ACTIVE_MORPHS}];
uniform int u_morph_stride;    // texels per vertex: 2 with normal deltas, 1 without
uniform int u_vertex_count;
uniform mat4 u_view;
uniform mat4 u_projection;

out vec3 v_normal;
out vec3 v_view_position;
out vec2 v_uv;
out vec4 v_color;

mat4 joint_matrix(uint joint) {{
    int row = u_palette_base + int(joint);
    return mat4(texelFetch(u_palette, ivec2(0, row), 0), texelFetch(u_palette, ivec2(1, row), 0),
                texelFetch(u_palette, ivec2(2, row), 0), texelFetch(u_palette, ivec2(3, row), 0));
}}

const int MORPH_WIDTH = {MORPH_TEXTURE_WIDTH};

vec4 morph_texel(int index) {{
    return texelFetch(u_morphs, ivec2(index % MORPH_WIDTH, index / MORPH_WIDTH), 0);
}}

void main() {{
    vec3 position = in_position;
    vec3 normal = in_normal;
    for (int k = 0; k < u_morph_count; ++k) {{
        int texel = (u_morph_target[k] * u_vertex_count + gl_VertexID) * u_morph_stride;
        position += u_morph_weight[k] * morph_texel(texel).xyz;
        if (u_morph_stride == 2) normal += u_morph_weight[k] * morph_texel(texel + 1).xyz;
    }}
    mat4 skin = in_weights.x * joint_matrix(in_joints.x) + in_weights.y * joint_matrix(in_joints.y)
              + in_weights.z * joint_matrix(in_joints.z) + in_weights.w * joint_matrix(in_joints.w);
    vec4 view_position = u_view * (skin * vec4(position, 1.0));
    v_view_position = view_position.xyz;
    v_normal = mat3(u_view) * (mat3(skin) * normal);
    v_uv = in_uv;
    v_color = in_color;
    gl_Position = u_projection * view_position;
}}
"""

# Base colour = factor × texture (decoded from sRGB by the GL) × COLOR_0, shaded in linear
# light, written as sRGB. Toon for unlit/MToon materials, Lambert + Blinn-Phong otherwise.
AVATAR_FRAGMENT = """
#version 330 core
in vec3 v_normal;
in vec3 v_view_position;
in vec2 v_uv;
in vec4 v_color;

uniform sampler2D u_base_texture;
uniform bool u_has_texture;
uniform vec4 u_base_color;
uniform vec3 u_emissive;
uniform int u_alpha_mode;      // 0 OPAQUE, 1 MASK, 2 BLEND
uniform float u_alpha_cutoff;
uniform bool u_toon;

out vec4 f_color;

// Key light from the upper left, in front of the avatar (view space: the camera's).
const vec3 LIGHT = normalize(vec3(-0.35, 0.55, 0.75));
const vec3 SKY = vec3(0.42, 0.43, 0.46);
const vec3 GROUND = vec3(0.22, 0.21, 0.20);

vec3 to_srgb(vec3 linear) {
    vec3 c = clamp(linear, 0.0, 1.0);
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c));
}

vec3 toon(vec3 base, vec3 n, vec3 v) {
    // Two bands with a narrow soft edge; the shade is tinted, not black, as MToon does.
    float lit = smoothstep(-0.05, 0.05, dot(n, LIGHT));
    vec3 shaded = base * mix(vec3(0.62, 0.60, 0.66), vec3(1.0), lit);
    float rim = pow(1.0 - clamp(dot(n, v), 0.0, 1.0), 4.0);
    return shaded + 0.18 * rim * (base + 0.25);
}

vec3 lambert(vec3 base, vec3 n, vec3 v) {
    vec3 ambient = mix(GROUND, SKY, 0.5 + 0.5 * n.y);
    float diffuse = max(dot(n, LIGHT), 0.0);
    float specular = pow(max(dot(n, normalize(LIGHT + v)), 0.0), 32.0) * 0.12;
    return base * (ambient + 0.75 * diffuse) + specular;
}

void main() {
    vec4 base = u_base_color * v_color;
    if (u_has_texture) base *= texture(u_base_texture, v_uv);
    if (u_alpha_mode == 1 && base.a < u_alpha_cutoff) discard;
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;  // only double-sided materials show their back faces
    vec3 v = normalize(-v_view_position);
    vec3 colour = (u_toon ? toon(base.rgb, n, v) : lambert(base.rgb, n, v)) + u_emissive;
    f_color = vec4(to_srgb(colour), u_alpha_mode == 2 ? base.a : 1.0);
}
"""

# A full-screen triangle from gl_VertexID alone (no buffers).
FULLSCREEN_VERTEX = """
#version 330 core
out vec2 v_uv;
void main() {
    vec2 corner = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    v_uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""

COPY_FRAGMENT = """
#version 330 core
in vec2 v_uv;
uniform sampler2D u_image;
out vec4 f_color;
void main() { f_color = texture(u_image, v_uv); }
"""

# A textured rectangle in NDC (x0, y0, x1, y1), drawn as a 4-vertex triangle strip.
RECT_VERTEX = """
#version 330 core
uniform vec4 u_rect;
out vec2 v_uv;
void main() {
    vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1);
    v_uv = corner;
    gl_Position = vec4(mix(u_rect.xy, u_rect.zw, corner), 0.0, 1.0);
}
"""

# RGB → yuv420p in three branch-free passes, for widths divisible by 8 and heights by 4 (720p,
# 1080p, …): the target is RGBA8, W/4 texels (W bytes) wide and H×3/2 rows tall, i.e. exactly
# FFmpeg's buffer. Luma: each fragment writes 4 neighbouring pixels of one row.
YUV_LUMA_FRAGMENT = """
#version 330 core
uniform sampler2D u_rgb;   // the rendered frame, row 0 = top
uniform ivec2 u_origin;    // this plane's first texel in the target
out vec4 f_bytes;

const vec3 Y_COEFF = vec3(65.481, 128.553, 24.966);

float luma(ivec2 p) { return dot(Y_COEFF, texelFetch(u_rgb, p, 0).rgb); }

void main() {
    ivec2 t = ivec2(gl_FragCoord.xy) - u_origin;
    ivec2 p = ivec2(t.x * 4, t.y);
    vec4 y = vec4(luma(p), luma(p + ivec2(1, 0)), luma(p + ivec2(2, 0)), luma(p + ivec2(3, 0)));
    f_bytes = floor(16.0 + y + 0.5) / 255.0;
}
"""

# Chroma: a target row holds two chroma rows (W/2 bytes each); every byte is the 2×2 mean of
# RGB, which one bilinear fetch at the block's centre computes.
YUV_CHROMA_FRAGMENT = """
#version 330 core
uniform sampler2D u_rgb;   // bilinear filtering on
uniform ivec2 u_origin;
uniform vec3 u_coeff;      // the U or the V row of BT.601
uniform int u_row_texels;  // W/8: target texels per chroma row
uniform vec2 u_pixel;      // 1/W, 1/H
out vec4 f_bytes;

float chroma(vec2 centre) { return dot(u_coeff, texture(u_rgb, centre).rgb); }

void main() {
    ivec2 t = ivec2(gl_FragCoord.xy) - u_origin;
    int second = t.x >= u_row_texels ? 1 : 0;
    ivec2 c = ivec2((t.x - second * u_row_texels) * 4, t.y * 2 + second);  // chroma sample
    vec2 centre = vec2(2 * c + 1) * u_pixel;  // the shared corner of its 2×2 pixels
    vec2 step = vec2(2.0 * u_pixel.x, 0.0);
    vec4 v = vec4(chroma(centre), chroma(centre + step), chroma(centre + 2.0 * step),
                  chroma(centre + 3.0 * step));
    f_bytes = floor(128.0 + v + 0.5) / 255.0;
}
"""

# Any other even size, in one pass: the same bytes (Y plane, U plane, V plane, no padding
# between them), each fragment writing 4 consecutive bytes of that layout into an RGBA8
# target W/2 texels wide; slower (integer division and branches per byte).
YUV420P_FRAGMENT = """
#version 330 core
uniform sampler2D u_rgb;   // the rendered frame, row 0 = top
uniform int u_width;
uniform int u_height;
out vec4 f_bytes;

const vec3 Y_COEFF = vec3(65.481, 128.553, 24.966);
const vec3 U_COEFF = vec3(-37.797, -74.203, 112.0);
const vec3 V_COEFF = vec3(112.0, -93.786, -18.214);

vec3 rgb(ivec2 p) { return texelFetch(u_rgb, p, 0).rgb; }

float as_byte(float value) { return floor(clamp(value, 0.0, 255.0) + 0.5) / 255.0; }

float byte_at(int i) {
    int luma_size = u_width * u_height;
    if (i < luma_size) return as_byte(16.0 + dot(Y_COEFF, rgb(ivec2(i % u_width, i / u_width))));
    int chroma_width = u_width / 2;
    int chroma_size = chroma_width * (u_height / 2);
    int j = i - luma_size;
    bool is_v = j >= chroma_size;
    if (is_v) j -= chroma_size;
    if (j >= chroma_size) return 0.0;  // padding after the V plane
    ivec2 p = 2 * ivec2(j % chroma_width, j / chroma_width);
    vec3 c = 0.25 * (rgb(p) + rgb(p + ivec2(1, 0)) + rgb(p + ivec2(0, 1)) + rgb(p + ivec2(1, 1)));
    return as_byte(128.0 + dot(is_v ? V_COEFF : U_COEFF, c));
}

void main() {
    ivec2 texel = ivec2(gl_FragCoord.xy);
    int first = (texel.y * (u_width / 2) + texel.x) * 4;
    f_bytes = vec4(byte_at(first), byte_at(first + 1), byte_at(first + 2), byte_at(first + 3));
}
"""
