"""Avatars: load, validate, map, rig, pose, render and composite humanoid GLB/VRM models."""
