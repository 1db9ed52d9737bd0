"""The `ashyq` command: run, migrate and seed the services, for people and for containers alike."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from services.common import migrations
from services.common.settings import data_dir

# Services that exist so far, in start order, with their default ports. `up` grows with this table.
SERVICES: dict[str, dict[str, Any]] = {
    "orgs": {"port": 8001, "app": "services.orgs.app:app", "database": True},
    "dialogue": {"port": 8002, "app": "services.dialogue.app:app", "database": True},
    "gateway": {"port": 8000, "app": "services.gateway.app:app", "database": False},  # stateless: no database
}
DATABASE_SERVICES = [name for name, spec in SERVICES.items() if spec["database"]]


def _settings(service: str) -> Any:
    if service == "orgs":
        from services.orgs.settings import OrgsSettings

        return OrgsSettings()
    if service == "dialogue":
        from services.dialogue.settings import DialogueSettings

        return DialogueSettings()
    if service == "gateway":
        from services.gateway.settings import GatewaySettings

        return GatewaySettings()
    raise SystemExit(f"unknown service: {service}")


def _configure_logging(service: str, settings: Any) -> None:
    """JSON lines on standard error (or `*_LOG_FORMAT=console`), at the service's `*_LOG_LEVEL`."""
    from services.common.logging import configure_logging

    configure_logging(service, level=settings.log_level, fmt=settings.log_format)


def cmd_migrate(args: argparse.Namespace) -> int:
    names = DATABASE_SERVICES if args.service == "all" else [args.service]
    for name in names:
        settings = _settings(name)
        _configure_logging(name, settings)
        url = settings.database_url
        migrations.upgrade(name, url)
        print(f"{name}: migrated to head")
    return 0


class DemoRefused(Exception):
    """A database already holds data: the demo is loaded only into empty ones."""


async def _load_demo() -> dict[str, str]:
    """Registry first, then the seed events through the dialogue rules, which ask the registry over HTTP
    (an in-process orgs app behind httpx's ASGI transport). Both commit, or neither does."""
    import httpx

    from services.common.db import make_engine, make_sessionmaker
    from services.dialogue import demo as dialogue_demo
    from services.dialogue.orgs_client import OrgsClient
    from services.orgs import demo as orgs_demo
    from services.orgs.app import create_app as create_orgs_app

    orgs_settings, dialogue_settings = _settings("orgs"), _settings("dialogue")
    orgs_engine, dialogue_engine = make_engine(orgs_settings.database_url), make_engine(dialogue_settings.database_url)
    try:
        async with make_sessionmaker(orgs_engine)() as orgs_db, make_sessionmaker(dialogue_engine)() as dialogue_db:
            try:
                registry = await orgs_demo.load(orgs_db)
                await dialogue_demo.ensure_empty(dialogue_db)
            except (orgs_demo.NotEmpty, dialogue_demo.NotEmpty) as exc:
                raise DemoRefused(str(exc)) from exc
            await orgs_db.commit()
            orgs_app = create_orgs_app(orgs_settings)
            async with orgs_app.router.lifespan_context(orgs_app):
                client = OrgsClient("http://orgs", 10.0, transport=httpx.ASGITransport(app=orgs_app))
                try:
                    events = await dialogue_demo.load(dialogue_db, client, registry.ids)
                    await dialogue_db.commit()
                finally:
                    await client.aclose()
    finally:
        await orgs_engine.dispose()
        await dialogue_engine.dispose()
    return {
        "orgs": f"{registry.organizations} organizations, {registry.people} people, "
                f"{registry.memberships} memberships",
        "dialogue": f"{events.sessions} sessions, {events.recommendations} recommendations, {events.plans} action plan",
    }


async def _load_demo_accounts() -> Any:
    """The demo accounts (one per role) and the akimat's demo API key, made when missing (services.orgs.demo).
    None, with the reason printed, where they are refused (production, or no demo registry)."""
    from services.common.db import make_engine, make_sessionmaker
    from services.orgs import demo as orgs_demo

    settings = _settings("orgs")
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            try:
                result = await orgs_demo.load_accounts(session, environment=settings.environment)
            except orgs_demo.DemoAccountsRefused as exc:
                print(f"demo accounts: {exc}", file=sys.stderr)
                return None
            await session.commit()
            return result
    finally:
        await engine.dispose()


def _print_demo_accounts(demo: Any, portal: str) -> None:
    """The table of demo logins, and the demo API key (its secret only the first time: it is stored hashed)."""
    rows = [("role", "login", "password", "organization")]
    for account in demo.accounts:
        rows.append((account.role.value, account.login, account.password or f"({account.note})",
                     account.organization or ""))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print(f"Demo accounts (sign in at {portal}login; demo passwords, for trying Ashyq only):")
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        print("  " + "  ".join([*cells, row[3]]).rstrip())
    scopes = ", ".join(s.value for s in demo.api_key_scopes)
    if demo.api_key:
        print(f"API key of «{demo.api_key_organization}» ({scopes}) for {portal}api/v1 — shown only now, keep it:")
        print(f"  {demo.api_key}")
    elif demo.api_key_prefix:
        print(f"API key of «{demo.api_key_organization}» ({scopes}): ashyq_{demo.api_key_prefix}_… "
              "(its secret was shown at the first start; an admin can issue another)")


def cmd_demo(args: argparse.Namespace) -> int:
    try:
        loaded = asyncio.run(_load_demo())
    except DemoRefused as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    for name, what in loaded.items():
        print(f"{name}: loaded {what}")
    demo_accounts = asyncio.run(_load_demo_accounts())
    if demo_accounts is not None:
        _print_demo_accounts(demo_accounts, f"http://127.0.0.1:{SERVICES['gateway']['port']}/")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if args.service == "worker":  # the dialogue outbox worker: no HTTP port, several may run at once
        from services.dialogue.worker import main as run_worker

        _configure_logging("worker", _settings("dialogue"))
        run_worker()
        return 0
    import uvicorn

    spec = SERVICES[args.service]
    settings = _settings(args.service)
    _configure_logging(args.service, settings)
    # log_config=None keeps uvicorn's loggers on our handler; the access log is services.common.logging.AccessLog.
    uvicorn.run(spec["app"], host=args.host, port=args.port or spec["port"], log_level=settings.log_level.lower(),
                log_config=None, access_log=False,
                proxy_headers=True, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"))
    return 0


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited with code {process.returncode} while starting")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not become ready within {timeout:.0f} s")


def cmd_up(args: argparse.Namespace) -> int:
    """The embedded default: SQLite under ./data, demo data once, every service, Ctrl-C stops all."""
    os.environ.setdefault("ASHYQ_DATA_DIR", str(data_dir()))
    data_dir().mkdir(parents=True, exist_ok=True)
    cmd_migrate(argparse.Namespace(service="all"))
    marker = data_dir() / ".demo-loaded"
    if not marker.exists() and not args.no_demo:
        try:
            for name, what in asyncio.run(_load_demo()).items():
                print(f"{name}: loaded demo data: {what}")
        except DemoRefused:
            print("demo data: databases already hold data; left as they are")
        marker.write_text("loaded\n")
    # Every start: the demo accounts that are missing are made (idempotent), and the table is printed below.
    demo_accounts = None if args.no_demo else asyncio.run(_load_demo_accounts())

    processes: list[subprocess.Popen[bytes]] = []

    def stop(*_: Any) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    try:
        for name, spec in SERVICES.items():
            process = subprocess.Popen([sys.executable, "-m", "services.cli", "serve", name])  # noqa: S603
            processes.append(process)
            _wait_ready(f"http://127.0.0.1:{spec['port']}", process)
        # The outbox worker (e-mail, webhooks); without DIALOGUE_SMTP_HOST its notices are recorded as skipped.
        processes.append(subprocess.Popen([sys.executable, "-m", "services.cli", "serve", "worker"]))
        print("\nAshyq is running (embedded SQLite under " + str(data_dir()) + "):")
        portal = f"http://127.0.0.1:{SERVICES['gateway']['port']}/"
        print(f"  portal    {portal}  <- open this in a browser")
        print(f"  API       {portal}api/docs  (public API for other systems, with API keys)")
        for name, spec in SERVICES.items():
            if spec["database"]:
                print(f"  {name:<9} http://127.0.0.1:{spec['port']}  (API docs: /docs)")
        if demo_accounts is not None:
            print()
            _print_demo_accounts(demo_accounts, portal)
        print("Press Ctrl-C to stop.\n")
        def stop_and_exit(*_: Any) -> None:
            stop()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop_and_exit)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("a service stopped; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


class CreateAdminRefused(Exception):
    """What was typed cannot make an admin account; the message says why."""


def _answer(prompt: str, interactive: bool) -> str:
    if interactive:
        return input(prompt)
    return sys.stdin.readline().rstrip("\r\n")


def _new_password(interactive: bool) -> str:
    """From a prompt typed twice, or the next line of standard input when it is not a terminal (never an argument:
    arguments show in the process list)."""
    if not interactive:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    password = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("The same password again: ") != password:
        raise CreateAdminRefused("the two passwords differ")
    return password


async def _create_admin(url: str, data: Any) -> int:
    from services.common.db import make_engine, make_sessionmaker
    from services.orgs import accounts

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            try:
                account = await accounts.create_account(session, data)
            except accounts.DuplicateLogin as exc:
                raise CreateAdminRefused(f"an account with the login {data.login!r} already exists") from exc
            await session.commit()
            return account.id or 0
    finally:
        await engine.dispose()


def cmd_create_admin(args: argparse.Namespace) -> int:
    """An admin account straight in the orgs database (migrated first); prints its id."""
    from pydantic import ValidationError

    from services.contracts.accounts import AccountCreate
    from services.contracts.auth import Role

    interactive = sys.stdin.isatty()
    try:
        login = args.login or _answer("Login: ", interactive)
        display_name = args.display_name or _answer("Display name: ", interactive)
        password = _new_password(interactive)
        try:
            data = AccountCreate(login=login, display_name=display_name, password=password, roles=[Role.admin])
        except ValidationError as exc:
            # Field and message only: the input itself (the password) never reaches the terminal or a log.
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
            raise CreateAdminRefused(reasons) from None
        url = _settings("orgs").database_url
        migrations.upgrade("orgs", url)
        account_id = asyncio.run(_create_admin(url, data))
    except CreateAdminRefused as exc:
        print(f"create-admin: {exc}", file=sys.stderr)
        return 1
    print(f"create-admin: admin account {data.login!r} created", file=sys.stderr)
    print(account_id)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """pg_dump of each service's PostgreSQL database into a new timestamped folder; prints the folder."""
    from services import ops

    names = DATABASE_SERVICES if args.service == "all" else [args.service]
    try:
        folder = ops.backup({name: _settings(name).database_url for name in names}, Path(args.to))
        manifest = ops.read_manifest(folder)
    except ops.OpsError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    for name, entry in manifest["databases"].items():
        revisions = ", ".join(entry["alembic_revisions"]) or "none"
        print(f"backup: {name}: database {entry['database']} -> {folder / entry['file']} ({entry['bytes']} bytes, "
              f"schema revision {revisions})", file=sys.stderr)
    print(folder)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """pg_restore of a backup folder into the databases the settings name (all that the backup holds, or one)."""
    from services import ops

    folder = Path(args.folder)
    try:
        held = ops.read_manifest(folder).get("databases", {})
        names = [n for n in DATABASE_SERVICES if n in held] if args.service == "all" else [args.service]
        urls = {name: _settings(name).database_url for name in names}
        if not args.yes:
            targets = ", ".join(f"{name} ({ops.connection(name, url).database})" for name, url in urls.items())
            print(f"restore: this replaces what the databases hold now: {targets}. Stop the services, then run "
                  "again with --yes.", file=sys.stderr)
            return 2
        restored = ops.restore(folder, urls)
    except ops.OpsError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return 1
    for item in restored:
        print(f"restore: {item.service}: database {item.database} restored at schema revision "
              f"{', '.join(item.revisions) or 'none'}", file=sys.stderr)
        if not item.at_head:
            print(f"restore: {item.service}: run `ashyq migrate {item.service}` before starting the service",
                  file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ashyq", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="migrate, load the demo data once and run every service (SQLite)")
    up.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    up.set_defaults(func=cmd_up)

    migrate = sub.add_parser("migrate", help="upgrade a service's database to head")
    migrate.add_argument("service", choices=[*DATABASE_SERVICES, "all"])
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="load the demo data (the seed events) into empty databases")
    demo.set_defaults(func=cmd_demo)

    create_admin = sub.add_parser("create-admin", help="create an admin account (password from stdin or a prompt)")
    create_admin.add_argument("--login", help="asked for when missing")
    create_admin.add_argument("--display-name", help="asked for when missing")
    create_admin.set_defaults(func=cmd_create_admin)

    backup = sub.add_parser("backup", help="pg_dump each service's PostgreSQL database into a timestamped folder")
    backup.add_argument("service", nargs="?", default="all", choices=[*DATABASE_SERVICES, "all"])
    backup.add_argument("--to", default=os.environ.get("ASHYQ_BACKUP_DIR", "backups"),
                        help="folder that receives the backup folders (ASHYQ_BACKUP_DIR, else ./backups)")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="pg_restore a backup folder into the services' databases")
    restore.add_argument("folder", help="a folder made by ashyq backup (it holds manifest.json)")
    restore.add_argument("service", nargs="?", default="all", choices=[*DATABASE_SERVICES, "all"])
    restore.add_argument("--yes", action="store_true", help="confirm that the databases' contents are replaced")
    restore.set_defaults(func=cmd_restore)

    serve = sub.add_parser("serve", help="run one service, as a container does")
    serve.add_argument("service", choices=[*SERVICES, "worker"])
    serve.add_argument("--host", default=os.environ.get("ASHYQ_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=None)
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
