"""Face, body and hand tracking from camera frames: the ``TrackingFrame`` and what fills it.

A library: it knows nothing of users, plans or HTTP. Callers pass a plain ``Features`` set and a
``TrackingQuality`` triple; see ``tracking.tracker.Tracker``.
"""
