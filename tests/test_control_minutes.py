"""Minutes, streams and accounts on real SQLite and real PostgreSQL."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from control.accounts import (
    AccountError,
    EmailTaken,
    NotAuthenticated,
    RateLimited,
    authenticate,
    create_user,
    sign_in,
    sign_out,
)
from control.clock import week_start
from control.db import Database
from control.migrate import is_current, upgrade
from control.minutes import LEASE, add_minutes, balance, debit
from control.models import StreamSession, Subscription, Suspension, UsageDebit, User
from control.streams import StreamRefused, authorize_start, end_stream
from control.subscriptions import (
    BILLING_PERIOD,
    NoSubscription,
    current_plan,
    describe_subscription,
    set_auto_renew,
    set_plan,
)
from tests.support.control import (
    T0,
    add_stream,
    debit_in_threads,
    new_user,
    start_in_threads,
)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    upgrade(database_url)
    database = Database(database_url)
    yield database
    database.close()


def remaining(db: Database, user_id: int, now=T0) -> int:
    with db.read() as session:
        return balance(session, user_id, now).remaining_s


def test_migrations_build_the_schema_from_empty(database_url: str) -> None:
    assert not is_current(database_url)
    upgrade(database_url)
    assert is_current(database_url)
    upgrade(database_url)  # again: nothing to do, nothing breaks
    db = Database(database_url)
    tables = set(inspect(db.engine).get_table_names())
    db.close()
    assert {"users", "auth_tokens", "subscriptions", "addons", "usage_debits"} <= tables
    assert {"stream_sessions", "suspensions", "auth_failures", "alembic_version"} <= tables


def test_sign_up_sign_in_and_out(db: Database) -> None:
    account = create_user(db, " Streamer@Example.com ", "correct horse battery", T0)
    assert account.email == "streamer@example.com" and account.role == "user"
    with pytest.raises(EmailTaken, match="sign in instead"):
        create_user(db, "streamer@example.com", "another long password", T0)
    with pytest.raises(AccountError, match="at least 10 characters"):
        create_user(db, "short@example.com", "short", T0)
    with pytest.raises(AccountError, match="valid e-mail"):
        create_user(db, "not-an-address", "correct horse battery", T0)

    token = sign_in(db, "streamer@example.com", "correct horse battery", "10.0.0.1", T0)
    assert authenticate(db, token, T0).id == account.id
    with pytest.raises(NotAuthenticated, match="expired"):
        authenticate(db, token, T0 + timedelta(days=31))
    sign_out(db, token)
    with pytest.raises(NotAuthenticated):
        authenticate(db, token, T0)
    with db.read() as session:  # only a hash of the password and of tokens is stored
        user = session.get(User, account.id)
        assert user.password_hash.startswith("$argon2id$")


def test_wrong_passwords_are_rate_limited_per_account_and_per_address(db: Database) -> None:
    create_user(db, "a@example.com", "correct horse battery", T0)
    create_user(db, "b@example.com", "correct horse battery", T0)
    for _ in range(5):
        with pytest.raises(NotAuthenticated, match="wrong e-mail address or password"):
            sign_in(db, "a@example.com", "guess guess guess", "10.0.0.1", T0)
    with pytest.raises(RateLimited) as limited:  # even the right password waits now
        sign_in(db, "a@example.com", "correct horse battery", "10.0.0.9", T0)
    assert 0 < limited.value.retry_after_s <= 15 * 60
    sign_in(db, "b@example.com", "correct horse battery", "10.0.0.1", T0)  # others are fine
    later = T0 + timedelta(minutes=16)
    assert sign_in(db, "a@example.com", "correct horse battery", "10.0.0.9", later)

    for i in range(20):  # one address guessing across many accounts
        with pytest.raises(NotAuthenticated):
            sign_in(db, f"nobody{i}@example.com", "guess guess guess", "10.6.6.6", later)
    with pytest.raises(RateLimited):
        sign_in(db, "b@example.com", "correct horse battery", "10.6.6.6", later)


def test_a_blocked_user_can_neither_sign_in_nor_stream(db: Database) -> None:
    user_id = new_user(db)
    token = sign_in(db, "streamer@example.com", "correct horse battery", "10.0.0.1", T0)
    with db.write() as session:
        session.get(User, user_id).blocked = True
    with pytest.raises(NotAuthenticated, match="blocked"):
        authenticate(db, token, T0)
    with pytest.raises(NotAuthenticated, match="blocked"):
        sign_in(db, "streamer@example.com", "correct horse battery", "10.0.0.1", T0)
    with pytest.raises(StreamRefused) as refused:
        authorize_start(db, user_id, 1280, 720, [], "w", T0)
    assert refused.value.code == "blocked"


def test_a_suspended_user_cannot_stream_until_it_lapses(db: Database) -> None:
    user_id = new_user(db)
    with db.write() as session:
        session.add(
            Suspension(user_id=user_id, level=2, starts_at=T0, ends_at=T0 + timedelta(days=3))
        )
    with pytest.raises(StreamRefused, match="suspended until 2026-11-28") as refused:
        authorize_start(db, user_id, 1280, 720, [], "w", T0 + timedelta(hours=1))
    assert refused.value.code == "suspended"
    authorize_start(db, user_id, 1280, 720, [], "w", T0 + timedelta(days=3, seconds=1))


def test_a_suspended_user_is_told_the_admins_reason(db: Database) -> None:
    user_id = new_user(db)
    with db.write() as session:
        session.add(
            Suspension(
                user_id=user_id,
                level=2,
                reason="  Testing suspension ",
                starts_at=T0,
                ends_at=T0 + timedelta(days=3),
            )
        )
    with pytest.raises(StreamRefused) as refused:
        authorize_start(db, user_id, 1280, 720, [], "w", T0 + timedelta(hours=1))
    assert str(refused.value) == (
        "this account is suspended until 2026-11-28 12:00 UTC: Testing suspension"
    )
    with db.write() as session:
        session.add(Suspension(user_id=user_id, level=7, reason="", starts_at=T0, ends_at=None))
    with pytest.raises(StreamRefused) as forever:  # no reason given: no dangling colon
        authorize_start(db, user_id, 1280, 720, [], "w", T0 + timedelta(hours=1))
    assert str(forever.value) == "this account is suspended for good"


def test_the_weekly_allowance_resets_on_monday_utc(db: Database) -> None:
    user_id = new_user(db)  # free: 15 minutes a week
    assert week_start(T0).weekday() == 0 and week_start(T0) < T0
    stream = authorize_start(db, user_id, 1280, 720, ["file x.flv"], "w", T0).stream_id
    for tick in range(90):  # 15 minutes in ticks of 10 s
        debit(db, stream, tick, 10, T0 + timedelta(seconds=10 * tick))
    last = debit(db, stream, 90, 10, T0 + timedelta(seconds=900))
    assert last.charged_s == 0 and last.remaining_s == 0  # nothing left: never negative
    end_stream(db, stream, "minutes_exhausted", T0 + timedelta(seconds=900))
    with pytest.raises(StreamRefused, match="reset on Monday 30 November") as refused:
        authorize_start(db, user_id, 1280, 720, [], "w", T0 + timedelta(hours=1))
    assert refused.value.code == "no_minutes"
    monday = week_start(T0) + timedelta(days=7)
    assert remaining(db, user_id, monday - timedelta(seconds=1)) == 0
    assert remaining(db, user_id, monday) == 15 * 60


def test_add_ons_stack_are_used_after_the_week_and_expire(db: Database) -> None:
    user_id = new_user(db)
    add_minutes(db, user_id, 10, T0, valid_for=timedelta(days=2))
    add_minutes(db, user_id, 20, T0, valid_for=timedelta(days=30))
    assert remaining(db, user_id) == (15 + 10 + 20) * 60
    stream = add_stream(db, user_id, "s1")
    # 15 min of the week, then 10 min: the add-on that expires first goes first.
    assert debit(db, stream, 0, 900 + 300, T0).charged_s == 1200
    assert remaining(db, user_id) == (5 + 20) * 60
    after_first_expiry = T0 + timedelta(days=2, seconds=1)
    assert remaining(db, user_id, after_first_expiry) == 20 * 60  # its 5 minutes are gone
    next_week = week_start(T0) + timedelta(days=7)
    assert remaining(db, user_id, next_week) == (15 + 20) * 60  # add-ons carry over weeks
    with db.read() as session:
        [row] = session.scalars(select(UsageDebit)).all()
        assert (row.weekly_s, row.addon_s) == (900, 300)


def test_a_retried_tick_is_charged_once(db: Database) -> None:
    user_id = new_user(db)
    stream = add_stream(db, user_id, "s1")
    first = debit(db, stream, 7, 10, T0)
    again = debit(db, stream, 7, 10, T0 + timedelta(seconds=1))
    assert (first.charged_s, first.repeated) == (10, False)
    assert (again.charged_s, again.repeated) == (10, True)
    assert remaining(db, user_id) == 15 * 60 - 10


def test_two_processes_debiting_at_once_spend_each_second_once(
    db: Database, database_url: str
) -> None:
    """2 processes × 25 threads, each tick sent twice: the total is what existed, exactly."""
    user_id = new_user(db)  # 900 s, far less than the 2 × 25 × 10 × 5 = 2500 s asked for
    streams = [add_stream(db, user_id, f"s{i}") for i in range(2)]
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(2) as pool:
        charged = pool.starmap(
            debit_in_threads, [(database_url, streams[i], i * 100_000, 25, 10) for i in range(2)]
        )
    with db.read() as session:
        ledger = session.scalar(select(func.sum(UsageDebit.weekly_s + UsageDebit.addon_s)))
        rows = session.scalar(select(func.count()).select_from(UsageDebit))
        on_streams = session.scalar(select(func.sum(StreamSession.seconds)))
    assert ledger == 900 and on_streams == 900  # all of it, not a second more
    assert remaining(db, user_id) == 0
    # Every debited tick has one row; the retries (a second call per tick) added nothing,
    # and what the workers saw charged counts each tick twice (the retry reports it again).
    assert rows == 2 * 25 * 10
    assert sum(charged) == 2 * 900


def test_two_workers_racing_to_start_never_exceed_the_plan(db: Database, database_url: str) -> None:
    user_id = new_user(db, plan="spartan")  # 2 streams at a time
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(2) as pool:
        allowed = pool.starmap(
            start_in_threads, [(database_url, user_id, f"w{i}", 6) for i in range(2)]
        )
    assert sum(allowed) == 2
    with db.read() as session:
        live = session.scalar(select(func.count()).select_from(StreamSession))
    assert live == 2


def test_a_dead_workers_stream_ends_by_lease_and_keeps_what_it_streamed(db: Database) -> None:
    user_id = new_user(db)  # free: one stream at a time
    stream = authorize_start(db, user_id, 1280, 720, [], "doomed", T0).stream_id
    for tick in range(3):  # 30 s streamed, then the worker is killed
        debit(db, stream, tick, 10, T0 + timedelta(seconds=10 * (tick + 1)))
    died = T0 + timedelta(seconds=30)
    with pytest.raises(StreamRefused, match="1 destination at a time"):  # its lease still runs
        authorize_start(db, user_id, 1280, 720, [], "new", died + LEASE - timedelta(seconds=1))
    grant = authorize_start(db, user_id, 1280, 720, [], "new", died + LEASE + timedelta(seconds=1))
    with db.read() as session:
        dead = session.get(StreamSession, stream)
    assert dead.end_reason == "lease_expired" and dead.ended_at == died + LEASE
    assert dead.seconds == 30
    assert remaining(db, user_id, died + LEASE) == 15 * 60 - 30
    late = debit(db, stream, 3, 10, died + LEASE + timedelta(seconds=5))  # a zombie's tick
    assert late.stream_ended and late.charged_s == 0
    assert grant.stream_id != stream


def test_resolution_is_clamped_to_the_plan_with_a_notice(db: Database) -> None:
    free = new_user(db)
    grant = authorize_start(db, free, 1920, 1080, [], "w", T0)
    assert (grant.width, grant.height) == (1280, 720)
    assert "up to 720p" in grant.notice
    spartan = new_user(db, "big@example.com", plan="spartan")
    grant = authorize_start(db, spartan, 1920, 1080, [], "w", T0)
    assert (grant.width, grant.height, grant.notice) == (1920, 1080, None)


def test_a_plan_change_applies_at_once(db: Database) -> None:
    user_id = new_user(db)
    assert remaining(db, user_id) == 15 * 60
    with db.write() as session:
        set_plan(session, user_id, "zeus", T0 + timedelta(minutes=1))
    assert remaining(db, user_id, T0 + timedelta(minutes=1)) == 1800 * 60


def test_suspension_levels_last_their_time_then_lapse_by_themselves(db: Database) -> None:
    from control.accounts import find_user
    from control.moderation import SUSPENSION_DAYS, active_suspension, suspend

    create_user(db, "boss@example.com", "correct horse battery", T0, role="admin")
    admin = find_user(db, "boss@example.com")
    for level, days in SUSPENSION_DAYS.items():
        user_id = new_user(db, f"level{level}@example.com")
        suspend(db, admin, user_id, level, "test", T0)
        with db.read() as session:
            assert active_suspension(session, user_id, T0 + timedelta(seconds=1)) is not None
            if days is None:  # level 7: for good
                assert active_suspension(session, user_id, T0 + timedelta(days=3650)) is not None
                continue
            assert active_suspension(session, user_id, T0 + timedelta(days=days, seconds=-1))
            assert active_suspension(session, user_id, T0 + timedelta(days=days)) is None
        # Reactivated without anyone lifting it: the user may stream again.
        authorize_start(db, user_id, 1280, 720, [], "w", T0 + timedelta(days=days))


def test_a_stream_records_its_avatar_and_refuses_one_the_plan_lost(db: Database) -> None:
    from control.avatars import pick_preset, set_active
    from control.models import Avatar

    user_id = new_user(db, plan="zeus")
    with db.write() as session:
        preset = Avatar(
            user_id=None, name="Golden", kind="glb", file_path="/x.glb", size_bytes=1,
            status="ready", public=True, required_plan="zeus", created_at=T0,
        )  # fmt: skip
        session.add(preset)
        session.flush()
        preset_id = preset.id
    mine = pick_preset(db, user_id, preset_id, T0)["id"]
    set_active(db, user_id, mine)
    grant = authorize_start(db, user_id, 1280, 720, [], "w", T0)
    with db.read() as session:
        assert session.get(StreamSession, grant.stream_id).avatar_id == mine
    end_stream(db, grant.stream_id, "stopped", T0)
    with db.write() as session:
        set_plan(session, user_id, "spartan", T0)
    with pytest.raises(StreamRefused, match="needs the zeus plan") as refused:
        authorize_start(db, user_id, 1280, 720, [], "w", T0)
    assert refused.value.code == "avatar_not_in_plan"


def test_a_subscription_renews_itself_unless_renewal_was_turned_off(db: Database) -> None:

    renewing, lapsing = new_user(db, "renews@example.com"), new_user(db, "lapses@example.com")
    with db.write() as session:
        for user_id, auto_renew in ((renewing, True), (lapsing, False)):
            session.add(
                Subscription(
                    user_id=user_id, plan="zeus", started_at=T0,
                    ends_at=T0 + timedelta(days=30), status="active", auto_renew=auto_renew,
                )
            )  # fmt: skip
    for user_id in (renewing, lapsing):
        with db.read() as session:
            assert current_plan(session, user_id, T0 + timedelta(days=29)).id == "zeus"
    with db.read() as session:
        assert current_plan(session, renewing, T0 + timedelta(days=31)).id == "zeus"
        assert current_plan(session, lapsing, T0 + timedelta(days=31)).id == "free"


def test_turning_renewal_off_keeps_the_plan_to_the_end_of_the_period(db: Database) -> None:
    user_id = new_user(db, "stops@example.com")
    with db.write() as session, pytest.raises(NoSubscription, match="Free plan"):
        set_auto_renew(session, user_id, False, T0)
    with db.write() as session:
        set_plan(session, user_id, "zeus", T0)
    day_40 = T0 + timedelta(days=40)  # in the second 30-day period
    with db.write() as session:
        described = set_auto_renew(session, user_id, False, day_40)
    second_period_end = T0 + 2 * BILLING_PERIOD
    assert described["ends_at"] == second_period_end.isoformat() + "Z"
    assert described["renews_at"] is None and described["plan"] == "zeus"
    with db.read() as session:
        assert current_plan(session, user_id, second_period_end - timedelta(seconds=1)).id == "zeus"
        assert current_plan(session, user_id, second_period_end).id == "free"
        assert describe_subscription(session, user_id, second_period_end) is None
    with db.write() as session:  # changed their mind before the end: it renews again
        described = set_auto_renew(session, user_id, True, day_40)
    assert described["renews_at"] == second_period_end.isoformat() + "Z"
    with db.read() as session:
        assert current_plan(session, user_id, T0 + timedelta(days=100)).id == "zeus"


def test_every_destination_counts_towards_the_plans_streams(db: Database) -> None:
    user_id = new_user(db, plan="spartan")  # two at a time: X and YouTube, say
    both = authorize_start(db, user_id, 1280, 720, ["rtmps://x/****", "rtmp://yt/****"], "w", T0)
    with pytest.raises(StreamRefused, match=r"2 destinations at a time \(2 live now") as refused:
        authorize_start(db, user_id, 1280, 720, ["rtmp://twitch/****"], "w", T0)
    assert refused.value.code == "too_many_streams"
    end_stream(db, both.stream_id, "stopped", T0)
    with pytest.raises(StreamRefused, match=r"3 asked for"):
        authorize_start(db, user_id, 1280, 720, ["a", "b", "c"], "w", T0)
    authorize_start(db, user_id, 1280, 720, ["rtmp://twitch/****"], "w", T0)  # room for one
