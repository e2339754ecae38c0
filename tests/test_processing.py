import av
import numpy as np

from streamer.letterbox import Letterbox
from streamer.pipeline import PipelineSettings
from streamer.processing import FrameProcessor


def test_wide_output_gets_bars_left_and_right_and_keeps_the_picture() -> None:
    box = Letterbox(640, 360)
    square = np.full((480, 480, 3), 200, dtype=np.uint8)
    out = box.apply(av.VideoFrame.from_ndarray(square, format="rgb24"))
    assert box.fit(480, 480) == (140, 0, 360, 360)
    assert out.shape == (360, 640, 3)
    assert out[:, :140].max() == 0 and out[:, 500:].max() == 0
    assert abs(int(out[180, 320, 0]) - 200) <= 2


def test_bars_are_cleared_when_the_camera_changes_shape() -> None:
    box = Letterbox(640, 360)
    box.apply(av.VideoFrame.from_ndarray(np.full((360, 640, 3), 255, np.uint8), format="rgb24"))
    out = box.apply(
        av.VideoFrame.from_ndarray(np.full((480, 480, 3), 255, np.uint8), format="rgb24")
    )
    assert out[:, :140].max() == 0


def test_odd_and_tiny_sources_still_fit() -> None:
    box = Letterbox(1280, 720)
    x, y, w, h = box.fit(33, 17)
    assert w % 2 == 0 and h % 2 == 0 and w <= 1280 and h <= 720 and x >= 0 and y >= 0


def test_preview_is_scaled_down_never_up() -> None:
    assert PipelineSettings(1280, 720, 30, preview_width=640).preview_size == (640, 360)
    assert PipelineSettings(320, 180, 30, preview_width=640).preview_size == (320, 180)


def test_encoder_and_preview_never_share_a_frame_object() -> None:
    process = FrameProcessor(640, 360, preview_size=(640, 360))
    camera = av.VideoFrame.from_ndarray(np.zeros((480, 640, 3), np.uint8), format="rgb24")
    video, preview = process(camera)
    assert video is not preview
    assert (video.width, video.height, video.format.name) == (640, 360, "yuv420p")
    assert (preview.width, preview.height) == (640, 360)
    smaller = FrameProcessor(1280, 720, preview_size=(640, 360))(camera)[1]
    assert (smaller.width, smaller.height) == (640, 360)


def test_the_tracking_view_draws_landmarks_on_the_preview_only() -> None:
    from tracking.frame import FaceTrack, HeadPose, TrackingFrame

    # A face whose 478 landmarks all sit in the middle of a 4:3 camera picture.
    landmarks = np.tile([0.5, 0.5, 0.0], (478, 1)) + np.linspace(-0.05, 0.05, 478)[:, None]
    pose = HeadPose(0.0, 0.0, 0.0, (0.0, 0.0, 60.0), np.eye(3))
    face = FaceTrack(landmarks, (0.45, 0.45, 0.55, 0.55), pose, {}, {}, 1.0)
    overlay = TrackingFrame(0.0, 640, 480, face=face)
    camera = av.VideoFrame.from_ndarray(np.zeros((480, 640, 3), np.uint8), format="rgb24")
    process = FrameProcessor(1280, 720, preview_size=(640, 360))

    video, preview = process(camera, overlay)
    drawn = preview.to_ndarray(format="rgb24")
    # The camera is pillarboxed to 480×360 at x 80 in the preview: the diagonal of dots runs
    # from (80 + 0.45·480, 0.45·360) to (80 + 0.55·480, 0.55·360).
    assert drawn[150:215, 290:360].max() > 150
    assert drawn[:, :80].max() < 30 and drawn[:140].max() < 30  # nothing elsewhere
    assert video.to_ndarray(format="rgb24").max() < 30  # the stream itself stays clean
    assert process(camera)[1].to_ndarray(format="rgb24").max() < 30  # view off: clean preview
