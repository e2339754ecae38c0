"""The control plane: accounts, plans, stream minutes and limits, on SQLite or PostgreSQL.

It knows nothing of frames or media: ``streamer`` asks it whether a stream may start, debits
minutes while it runs, and tells it when the stream ended.
"""
