"""Importing MediaPipe safely from several threads.

``mediapipe/__init__.py`` is not safe to run twice at once: a tracking thread and a
segmentation thread importing it together fail with ``NameError: name 'framework' is not
defined``. Whoever needs MediaPipe calls ``import_mediapipe`` first; the top-level import then
runs once, under a lock, and later submodule imports are ordinary.
"""

from __future__ import annotations

import threading
from types import ModuleType

_lock = threading.Lock()


def import_mediapipe() -> ModuleType:
    """The ``mediapipe`` package, imported once for the whole process."""
    with _lock:
        import mediapipe

        return mediapipe
