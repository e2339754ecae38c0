"""``vida db`` and ``vida admin``: the control plane from the command line."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from config import ConfigError, Settings

PASSWORD_VARIABLE = "VIDA_ADMIN_PASSWORD"


def add_control_parsers(commands: argparse._SubParsersAction) -> None:
    """Register ``vida db upgrade``, ``vida admin create-user`` and ``vida admin set-plan``."""
    db = commands.add_parser("db", help="the database (VIDA_DATABASE_URL, default SQLite)")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="create or migrate the database to the newest schema")

    admin = commands.add_parser("admin", help="accounts and plans, for operators")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_commands.add_parser(
        "create-user",
        help="create an account",
        description=f"The password is asked for, or read from ${PASSWORD_VARIABLE}.",
    )
    create.add_argument("email")
    create.add_argument("--role", choices=("user", "admin"), default="user")
    create.add_argument("--plan", default="free", help="free, reply_guy, spartan, zeus or goat")
    set_plan = admin_commands.add_parser("set-plan", help="move an account to another plan")
    set_plan.add_argument("email")
    set_plan.add_argument("plan", help="free, reply_guy, spartan, zeus or goat")


def run_control(args: argparse.Namespace, settings: Settings) -> int:
    """Run a ``vida db`` or ``vida admin`` command."""
    from control.accounts import AccountError, create_user, find_user
    from control.clock import utcnow
    from control.db import Database
    from control.migrate import shown, upgrade
    from control.moderation import audit_command_line
    from control.plans import PlanError
    from control.subscriptions import AlreadyOnPlan, set_plan

    url = settings.database
    if settings.database_url == "":
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # accounts live here
    upgrade(url)
    if args.command == "db":
        print(f"database is at the newest schema: {shown(url)}", file=sys.stderr)
        return 0
    db = Database(url)
    try:
        if args.admin_command == "create-user":
            account = create_user(db, args.email, _password(), utcnow(), args.role, args.plan)
            with db.write() as session:
                audit_command_line(
                    session, "create_user", account.id, utcnow(), role=args.role, plan=args.plan
                )
            # Success lines go to stdout, errors to stderr (main prints them), so scripts
            # can tell the two apart.
            print(f"created {account.email} ({account.role}, plan {args.plan})")
        else:
            account = find_user(db, args.email)
            try:
                with db.write() as session:
                    plan = set_plan(session, account.id, args.plan, utcnow())
                    audit_command_line(session, "set_plan", account.id, utcnow(), plan=plan.id)
            except AlreadyOnPlan as already:  # what was asked for holds: not a failure
                print(already)
                return 0
            print(f"{account.email} is on {plan.name} from now on")
        return 0
    except (AccountError, PlanError, LookupError) as exc:
        raise ConfigError(str(exc).strip("'\"")) from None
    finally:
        db.close()


def _password() -> str:
    password = os.environ.get(PASSWORD_VARIABLE)
    if password:
        return password
    if not sys.stdin.isatty():
        raise ConfigError(f"set {PASSWORD_VARIABLE}, or run this on a terminal to be asked")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ConfigError("the two passwords differ")
    return first
