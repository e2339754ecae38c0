"""The control plane's tables (SQLAlchemy 2). Changes go through an Alembic migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Every time is UTC. SQLite keeps no zone: columns are naive UTC datetimes everywhere, so both
# databases compare them the same way (``control.clock.utcnow`` makes them).
Time = DateTime(timezone=False)


class Base(DeclarativeBase):
    """Metadata of every table."""


class User(Base):
    """An account. ``blocked`` stops sign-in and streaming at once."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user")  # user | admin
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Time)


class AuthToken(Base):
    """A signed-in session: only the token's SHA-256 is stored, never the token."""

    __tablename__ = "auth_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(Time)
    expires_at: Mapped[datetime] = mapped_column(Time)


class ApiKey(Base):
    """A key for scripts (``Authorization: Bearer vida_…``): only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))  # its first characters, to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Time)
    last_used_at: Mapped[datetime | None] = mapped_column(Time, nullable=True)


class AuthFailure(Base):
    """A failed sign-in, kept for a while to rate-limit by address and by account."""

    __tablename__ = "auth_failures"
    __table_args__ = (Index("ix_auth_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))  # "ip:…" or "account:…"
    at: Mapped[datetime] = mapped_column(Time)


class Subscription(Base):
    """A user's plan over time; the newest active one is the plan in force."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    plan: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(Time)
    ends_at: Mapped[datetime | None] = mapped_column(Time, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|cancelled|ended
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=True)


class AddOn(Base):
    """Bought on top of a plan: extra stream minutes (a pool, used after the week's
    allowance) or extra avatar slots. Each expires on its own."""

    __tablename__ = "addons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # extra_minutes | extra_avatars
    quantity: Mapped[int] = mapped_column(Integer)  # minutes, or avatar slots
    used_s: Mapped[int] = mapped_column(BigInteger, default=0)  # seconds used (minutes only)
    created_at: Mapped[datetime] = mapped_column(Time)
    expires_at: Mapped[datetime] = mapped_column(Time)


class Suspension(Base):
    """A time-limited ban from streaming (levels 1–7; level 7 never ends)."""

    __tablename__ = "suspensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(Time)
    ends_at: Mapped[datetime | None] = mapped_column(Time, nullable=True)  # None: permanent
    lifted_at: Mapped[datetime | None] = mapped_column(Time, nullable=True)


class StreamSession(Base):
    """One live stream. A worker renews its lease with every minute debit; a stream whose
    lease ran out (its worker died) is ended by the next look at the user's streams."""

    __tablename__ = "stream_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    worker: Mapped[str] = mapped_column(String(128))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    destinations: Mapped[str] = mapped_column(Text, default="")  # display names, never keys
    avatar_id: Mapped[int | None] = mapped_column(
        ForeignKey("avatars.id", ondelete="SET NULL"), nullable=True
    )
    started_at: Mapped[datetime] = mapped_column(Time)
    lease_expires_at: Mapped[datetime] = mapped_column(Time)
    ended_at: Mapped[datetime | None] = mapped_column(Time, nullable=True)
    seconds: Mapped[int] = mapped_column(BigInteger, default=0)  # charged so far
    end_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)


class UsageDebit(Base):
    """The ledger: one row per charged tick. (session, tick) is unique, so a retried tick
    is never charged twice."""

    __tablename__ = "usage_debits"
    __table_args__ = (
        UniqueConstraint("stream_session_id", "tick"),
        # Every balance sums one user's week: this index makes that read only their rows
        # (with separate indexes SQLite chose week_start and read everyone's week).
        Index("ix_usage_debits_user_week", "user_id", "week_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    stream_session_id: Mapped[str] = mapped_column(ForeignKey("stream_sessions.id"))
    tick: Mapped[int] = mapped_column(Integer)
    week_start: Mapped[datetime] = mapped_column(Time)
    weekly_s: Mapped[int] = mapped_column(Integer)  # taken from the week's allowance
    addon_s: Mapped[int] = mapped_column(Integer)  # taken from extra-minute add-ons
    at: Mapped[datetime] = mapped_column(Time)


class Caution(Base):
    """A warning an admin gave a user (shown to them; counts towards moderation history)."""

    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(Time)


class AuditEntry(Base):
    """One admin action: who did what to whom, and when. Written in the action's own
    transaction, so there is no action without its entry."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Time, index=True)
    admin_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True
    )  # None: an operator on the command line (``details`` says who)
    action: Mapped[str] = mapped_column(String(64))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    details: Mapped[str] = mapped_column(Text, default="")


class SavedDestination(Base):
    """An RTMP destination a user saved. The stream key is encrypted at rest
    (``control.destinations.KeyBox``) and never returned: only its last four characters."""

    __tablename__ = "destinations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(16))  # x | youtube | twitch | custom
    server_url: Mapped[str] = mapped_column(String(2048))
    stream_key_encrypted: Mapped[str] = mapped_column(Text)
    key_hint: Mapped[str] = mapped_column(String(8))
    bitrate_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Time)


class AvatarCategory(Base):
    """A shelf of the avatar gallery (e.g. "Anime", "Realistic")."""

    __tablename__ = "avatar_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Avatar(Base):
    """An avatar: a user's upload, a preset (no user) or a user's copy of a preset.

    ``status`` follows the file through checking and rigging: pending → processing → ready,
    or failed with ``error``; ``progress`` is 0–100 while processing.
    """

    __tablename__ = "avatars"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=True
    )
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("avatar_categories.id"), nullable=True
    )
    source_id: Mapped[int | None] = mapped_column(ForeignKey("avatars.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # glb | vrm | gltf
    file_path: Mapped[str] = mapped_column(String(1024))
    thumbnail_path: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))  # pending | processing | ready | failed
    progress: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    premium: Mapped[bool] = mapped_column(Boolean, default=False)
    required_plan: Mapped[str] = mapped_column(String(32), default="free")
    created_at: Mapped[datetime] = mapped_column(Time)


class ActiveAvatar(Base):
    """The one avatar a user goes live with (one row per user: switching is one update)."""

    __tablename__ = "active_avatars"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    avatar_id: Mapped[int] = mapped_column(ForeignKey("avatars.id", ondelete="CASCADE"))


class BackgroundCategory(Base):
    """A shelf of the background catalogue."""

    __tablename__ = "background_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Background(Base):
    """What the avatar stands in front of: an image, a solid colour or chroma green."""

    __tablename__ = "backgrounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=True
    )
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("background_categories.id"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # image | color | chroma
    value: Mapped[str] = mapped_column(String(1024))  # image path, or "#rrggbb"
    required_plan: Mapped[str] = mapped_column(String(32), default="free")
    created_at: Mapped[datetime] = mapped_column(Time)


class StudioLook(Base):
    """How a user's streams look: the background, the framing and mirror mode they chose
    (each None/False: the studio's defaults)."""

    __tablename__ = "studio_looks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    background_id: Mapped[int | None] = mapped_column(
        ForeignKey("backgrounds.id", ondelete="SET NULL"), nullable=True
    )
    framing: Mapped[str | None] = mapped_column(String(16), nullable=True)
    mirror: Mapped[bool] = mapped_column(Boolean, default=False)


class ComputeUsage(Base):
    """What one stream cost its worker, recorded when it ends."""

    __tablename__ = "compute_usage"

    stream_session_id: Mapped[str] = mapped_column(
        ForeignKey("stream_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    worker: Mapped[str] = mapped_column(String(128))
    live_seconds: Mapped[float] = mapped_column(Float)
    frames_out: Mapped[int] = mapped_column(BigInteger)
    frames_dropped: Mapped[int] = mapped_column(BigInteger)
    tracking_fps: Mapped[float] = mapped_column(Float)
    encoder: Mapped[str] = mapped_column(String(32))
    # CPU seconds of the whole worker process while the stream ran: shared with any other
    # stream of that worker, so an upper bound for this one.
    process_cpu_s: Mapped[float] = mapped_column(Float)


class SystemLog(Base):
    """A warning or error the studio logged, kept for the admin pages."""

    __tablename__ = "system_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Time, index=True)
    level: Mapped[str] = mapped_column(String(16))
    logger: Mapped[str] = mapped_column(String(128))
    message: Mapped[str] = mapped_column(Text)
    worker: Mapped[str] = mapped_column(String(128))
