"""The studio process: app assembly, WebRTC sessions, the per-stream pipeline and the CLI."""
