"""Upload processing: checked within the plan, rigged, made lighter, pictured — or failed why."""

from __future__ import annotations

import io
import itertools
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from control.avatars import preview_file
from control.db import Database
from control.migrate import upgrade
from control.models import Avatar
from rigging.avatar import open_avatar
from rigging.idle_clip import CLIP_FPS, CLIP_SECONDS
from streamer.avatar_files import lighter_path, playable, rigged_path
from streamer.avatar_jobs import AvatarJobs
from tests.support.control import T0, new_user
from tests.support.gltf_validator import validate_gltf
from tests.support.media import SHARED_ASSETS
from tests.test_rigging_autorig import static_person

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_AVATAR = ROOT / "models" / "default_avatar.glb"
MODELS = SHARED_ASSETS / "models"
USERS = itertools.count()


@pytest.fixture
def db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path}/vida.db"
    upgrade(url)
    return Database(url)


def uploaded(db: Database, tmp_path: Path, source: Path | bytes, plan: str = "goat") -> int:
    """A pending avatar row whose file is a copy of ``source``, as an upload leaves it."""
    user = new_user(db, f"{plan}-{next(USERS)}@example.com", plan)
    path = tmp_path / "uploads" / f"{user}-upload.glb"
    path.parent.mkdir(exist_ok=True)
    if isinstance(source, bytes):
        path.write_bytes(source)
    else:
        shutil.copy(source, path)
    with db.write() as session:
        row = Avatar(
            user_id=user, name="mine", kind="glb", file_path=str(path),
            size_bytes=path.stat().st_size, status="pending", progress=0, created_at=T0,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def row(db: Database, avatar_id: int) -> Avatar:
    with db.read() as session:
        avatar = session.get(Avatar, avatar_id)
        session.expunge(avatar)
        return avatar


def test_a_heavy_avatar_is_made_lighter_and_pictured(db: Database, tmp_path: Path) -> None:
    avatar_id = uploaded(db, tmp_path, DEFAULT_AVATAR)
    AvatarJobs(db, tmp_path / "thumbs", lambda: T0, triangle_budget=9_000).process(avatar_id)
    done = row(db, avatar_id)
    assert (done.status, done.progress, done.error) == ("ready", 100, None)
    assert Image.open(io.BytesIO(Path(done.thumbnail_path).read_bytes())).size == (256, 256)
    with av.open(str(preview_file(Path(done.thumbnail_path)))) as clip:  # the moving preview
        assert clip.streams.video[0].codec_context.name == "h264"
        pictures = [f.to_ndarray(format="rgb24") for f in clip.decode(video=0)]
    assert len(pictures) == CLIP_SECONDS * CLIP_FPS and pictures[0].shape == (256, 256, 3)
    assert max(np.abs(p.astype(int) - pictures[0]).max() for p in pictures) > 60  # it moves
    upload = Path(done.file_path)
    assert playable(upload) == lighter_path(upload)
    original, lighter = open_avatar(upload), open_avatar(lighter_path(upload))
    assert lighter.model.triangle_count <= 9_000 < original.model.triangle_count
    names = {b: original.model.nodes[n].name for b, n in original.humanoid.bones.items()}
    assert {b: lighter.model.nodes[n].name for b, n in lighter.humanoid.bones.items()} == names
    assert lighter.expressions.perfect_sync  # the face still answers to tracking
    assert validate_gltf(lighter_path(upload))["issues"]["numErrors"] == 0


def test_an_avatar_under_the_budget_is_streamed_as_uploaded(db: Database, tmp_path: Path) -> None:
    avatar_id = uploaded(db, tmp_path, MODELS / "RobotExpressive.glb")
    AvatarJobs(db, tmp_path / "thumbs", lambda: T0).process(avatar_id)
    upload = Path(row(db, avatar_id).file_path)
    assert row(db, avatar_id).status == "ready"
    assert playable(upload) == upload and not lighter_path(upload).exists()


def test_an_unrigged_person_is_rigged_on_upload(db: Database, tmp_path: Path) -> None:
    avatar_id = uploaded(db, tmp_path, static_person(a_pose=True))
    AvatarJobs(db, tmp_path / "thumbs", lambda: T0).process(avatar_id)
    done = row(db, avatar_id)
    assert done.status == "ready", done.error
    upload = Path(done.file_path)  # the upload itself is kept as sent
    assert playable(upload) == rigged_path(upload)
    assert open_avatar(playable(upload)).humanoid.source == "names"


def test_deleting_an_avatar_removes_every_file_made_from_it(db: Database, tmp_path: Path) -> None:
    from control.avatars import delete_avatar, set_active

    avatar_id = uploaded(db, tmp_path, DEFAULT_AVATAR)
    AvatarJobs(db, tmp_path / "thumbs", lambda: T0, triangle_budget=9_000).process(avatar_id)
    done = row(db, avatar_id)
    set_active(db, done.user_id, avatar_id)
    upload, thumbnail = Path(done.file_path), Path(done.thumbnail_path)
    assert lighter_path(upload).is_file() and thumbnail.is_file()
    assert preview_file(thumbnail).is_file()
    assert delete_avatar(db, done.user_id, avatar_id) is True  # it was the active one
    assert not list(upload.parent.iterdir()) and not list(thumbnail.parent.iterdir())


@pytest.mark.parametrize(
    ("source", "plan", "reason"),
    [
        (MODELS / "RiggedSimple.gltf", "goat", "not a humanoid"),
        (b"glTF\x02\x00\x00\x00\xff\xff\x00\x00", "goat", "truncated"),
        (DEFAULT_AVATAR, "free", "43 morph targets; the limit is 16"),  # the plan went down
    ],
    ids=["two bones", "broken", "over the plan"],
)
def test_unusable_uploads_fail_with_the_reason(
    db: Database, tmp_path: Path, source: Path | bytes, plan: str, reason: str
) -> None:
    avatar_id = uploaded(db, tmp_path, source, plan)
    AvatarJobs(db, tmp_path / "thumbs", lambda: T0).process(avatar_id)
    failed = row(db, avatar_id)
    assert failed.status == "failed"
    assert reason in failed.error


def test_the_catalogue_is_seeded_once_and_its_preset_processed(
    db: Database, tmp_path: Path
) -> None:
    from control.avatars import presets, waiting_jobs
    from control.backgrounds import catalogue
    from control.catalogue import STOCK_BACKGROUNDS, seed_catalogue

    for _ in range(2):  # every start seeds; nothing is added twice
        seed_catalogue(db, DEFAULT_AVATAR, T0)
    user = new_user(db, "viewer@example.com", "free")
    [preset] = presets(db, user, T0)
    assert (preset["name"], preset["category"], preset["locked"]) == ("VIDA default", "VIDA", False)
    stock = [b for b in catalogue(db, user, T0) if b["category"] == "VIDA"]
    assert len(stock) == len(STOCK_BACKGROUNDS)
    assert waiting_jobs(db) == [preset["id"]]
    AvatarJobs(db, tmp_path / "thumbs", lambda: T0).process(preset["id"])
    assert row(db, preset["id"]).status == "ready"  # held to the largest plan's limits
    assert waiting_jobs(db) == []


def test_the_worker_runs_only_while_there_is_work(db: Database, tmp_path: Path) -> None:
    import threading

    jobs = AvatarJobs(db, tmp_path / "thumbs", lambda: T0)
    first = uploaded(db, tmp_path, MODELS / "RobotExpressive.glb")
    jobs.submit(first)
    assert jobs.idle.wait(60)
    assert "vida-avatar-jobs" not in [t.name for t in threading.enumerate()]
    second = uploaded(db, tmp_path, MODELS / "RobotExpressive.glb")
    jobs.submit(second)  # a new thread (and GL context) for new work
    assert jobs.idle.wait(60)
    assert row(db, first).status == row(db, second).status == "ready"
    jobs.close()
    jobs.submit(uploaded(db, tmp_path, MODELS / "RobotExpressive.glb"))  # after close: kept
    assert jobs.idle.is_set()
