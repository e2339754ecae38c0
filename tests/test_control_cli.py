"""``vida db`` and ``vida admin``, and bad database or key settings, as an operator meets them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from control.db import Database
from control.models import Subscription
from control.moderation import audit_log

VIDA = str(Path(sys.executable).parent / "vida")


def vida(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VIDA, *args], capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", **env},
    )  # fmt: skip


def test_operators_create_users_and_change_plans(tmp_path: Path) -> None:
    env = {"VIDA_DATA_DIR": str(tmp_path / "data")}
    assert vida("db", "upgrade", env=env).returncode == 0
    assert (tmp_path / "data").stat().st_mode & 0o077 == 0  # accounts: owner only
    made = vida(
        "admin", "create-user", "Op@Example.com", "--role", "admin", "--plan", "goat",
        env=env | {"VIDA_ADMIN_PASSWORD": "correct horse battery"},
    )  # fmt: skip
    assert made.returncode == 0 and made.stdout == "created op@example.com (admin, plan goat)\n"
    again = vida(
        "admin", "create-user", "op@example.com",
        env=env | {"VIDA_ADMIN_PASSWORD": "correct horse battery"},
    )  # fmt: skip
    assert again.returncode == 2 and "exists already" in again.stderr
    no_password = vida("admin", "create-user", "x@example.com", env=env)
    assert no_password.returncode == 2 and "set VIDA_ADMIN_PASSWORD" in no_password.stderr
    moved = vida("admin", "set-plan", "op@example.com", "spartan", env=env)
    assert moved.returncode == 0 and moved.stdout == "op@example.com is on Spartan from now on\n"
    same = vida("admin", "set-plan", "op@example.com", "spartan", env=env)
    assert (same.returncode, same.stdout) == (0, "op@example.com is on Spartan already\n")
    assert "Spartan" not in same.stderr  # stderr is for errors
    unknown = vida("admin", "set-plan", "nobody@example.com", "spartan", env=env)
    assert unknown.returncode == 2 and "no account with the e-mail address" in unknown.stderr
    db = Database(f"sqlite:///{tmp_path / 'data' / 'vida.db'}")
    entries = audit_log(db, 1, 10).items
    with db.read() as session:
        subscriptions = session.scalars(select(Subscription).order_by(Subscription.id)).all()
        # the second set-plan to Spartan neither ended nor restarted the subscription
        assert [(s.plan, s.status) for s in subscriptions] == [
            ("goat", "ended"),
            ("spartan", "active"),
        ]
    db.close()
    assert [(e["action"], e["admin_id"], e["details"]["via"]) for e in entries] == [
        ("set_plan", None, "command line"),  # newest first; refused and no-op ones left none
        ("create_user", None, "command line"),
    ]
    assert entries[0]["details"]["plan"] == "spartan" and "@" in entries[0]["details"]["by"]


def test_a_database_or_key_that_cannot_be_used_is_one_clear_sentence(tmp_path: Path) -> None:
    for url, message in [
        ("postgresql+psycopg://nobody:hunter2@127.0.0.1:1/x", "Connection refused"),
        (f"sqlite:///{tmp_path}/missing/dir/v.db", "unable to open database file"),
        ("mysql://x", "database_url must be empty"),
    ]:
        result = vida("db", "upgrade", env={"VIDA_DATABASE_URL": url})
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr
        assert "hunter2" not in result.stderr  # the password is never printed
    bad_key = vida(
        "serve", "--port", "1",
        env={"VIDA_DATA_DIR": str(tmp_path / "data"), "VIDA_SECRET_KEY": "not-a-key"},
    )  # fmt: skip
    assert bad_key.returncode == 2 and "VIDA_SECRET_KEY must be 32" in bad_key.stderr
    assert "VIDA studio on" not in bad_key.stderr and "Traceback" not in bad_key.stderr
