"""The `mend` command: run the bot, play it in a terminal, administer it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy.exc import DBAPIError

from adapters import reports_cli
from adapters.settings import Settings

if TYPE_CHECKING:
    from adapters.runtime import Runtime

app = typer.Typer(
    help="Mend: service recovery on the front line, in Slack, Teams and the terminal.",
    no_args_is_help=True,
    add_completion=False,
)
policy_app = typer.Typer(help="Check the policy table.", no_args_is_help=True)
staff_app = typer.Typer(help="Load the staff directory.", no_args_is_help=True)
db_app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(staff_app, name="staff")
app.add_typer(db_app, name="db")
deliveries_app = typer.Typer(
    help="See and retry what Mend sends: approval requests, follow-ups, lessons, digests.",
    no_args_is_help=True,
)
app.add_typer(deliveries_app, name="deliveries")
teams_app = typer.Typer(help="Install Mend in Microsoft Teams.", no_args_is_help=True)
app.add_typer(teams_app, name="teams")

DEMO_STAFF = Path(__file__).with_name("console") / "demo_staff.csv"


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _runtime(settings: Settings | None = None):
    from adapters.runtime import SchemaOutOfDate, build_runtime
    from db.session import UnsupportedDatabase
    from policies.loader import PolicyError

    try:
        return build_runtime(settings)
    except PolicyError as exc:
        raise _fail(
            f"The policy file is broken; Mend will not start:\n{exc}\n"
            "Fix it and check with: mend policy check FILE"
        ) from exc
    except SchemaOutOfDate as exc:
        raise _fail(str(exc)) from exc
    except UnsupportedDatabase as exc:
        raise _fail(_unsupported(exc)) from exc
    except DBAPIError as exc:
        raise _fail(_unreachable(settings or Settings(), exc)) from exc


def _unsupported(exc: Exception) -> str:
    return f"MEND_DATABASE_URL: {exc}"


def _unreachable(settings: Settings, exc: DBAPIError) -> str:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return (
        f"Mend cannot use the database {settings.describe_database()}: {reason}\n"
        "Check MEND_DATABASE_URL, that the server is running and reachable, and the file's"
        " folder exists and is writable; `mend doctor` checks it all."
    )


@app.command()
def chat(
    as_user: Annotated[
        str, typer.Option("--as", help="who you are (a user id in the staff directory)")
    ] = "alice",
    demo: Annotated[bool, typer.Option(help="load a small demo staff directory first")] = False,
    locale: Annotated[
        str | None,
        typer.Option(help="the language to chat in (en, es, de, fr); else the directory's or the policy's"),
    ] = None,
) -> None:
    """Play the whole recovery loop in the terminal: open, offer, approve, resolve."""
    from adapters.console.chat import ChatSession
    from bot import staff

    runtime = _runtime()
    try:
        _warn_if_served(runtime)
        if demo:
            with runtime.sessions() as session:
                staff.import_staff(
                    DEMO_STAFF.read_text(),
                    session=session,
                    policy=runtime.policy,
                    clock=runtime.clock,
                )
            typer.echo(
                "Demo staff: alice (frontline) -> bob (supervisor) -> carol (manager) -> dana (director)."
            )
        ChatSession(
            runtime.sessions,
            runtime.policy,
            runtime.clock,
            as_user.lower(),
            read=input,
            out=sys.stdout,
            locale=locale,
        ).run()
    finally:
        runtime.close()


def _warn_if_served(runtime: Runtime) -> None:
    from adapters.console.chat import PLATFORM_NAMES
    from bot.delivery_leases import other_platforms_in_use
    from db.models import Platform

    with runtime.sessions() as session:
        served = [PLATFORM_NAMES.get(p, p) for p in other_platforms_in_use(session, Platform.CONSOLE)]
    if served:
        typer.echo(
            f"Warning: {runtime.settings.describe_database()} is the database of Mend on"
            f" {' and '.join(served)} (`mend serve`). What you do here is real: cases, offers and"
            f" decisions are shared with it, and their messages to people on {' and '.join(served)}"
            " are sent by `mend serve`, not shown here. To try Mend out, point MEND_DATABASE_URL"
            " at a database of its own.",
            err=True,
        )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="the address to listen on")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="the port to listen on")] = 3000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="how many server processes share the port, to use more than one CPU"
            " (PostgreSQL only; Linux spreads connections over them with SO_REUSEPORT)",
        ),
    ] = 1,
    worker_index: Annotated[int | None, typer.Option(hidden=True)] = None,
    worker_of: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Serve Slack (/slack/events), Teams (/api/messages), /healthz and /metrics on one port."""
    import asyncio

    from adapters.workers import run_until_stopped

    if worker_index is not None and worker_of is not None:
        _serve_as_worker(host=host, port=port, index=worker_index, supervisor=worker_of)
        return
    if workers > 1:
        _supervise(host=host, port=port, count=workers)
    runtime = _runtime()
    try:
        asyncio.run(run_until_stopped(runtime, host=host, port=port))
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()


def _supervise(*, host: str, port: int, count: int) -> None:
    from sqlalchemy.engine import make_url

    from adapters.workers import supervise

    settings = Settings()
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        raise _fail(
            f"mend serve --workers {count}: SQLite is served from one process;"
            " for more workers use PostgreSQL (set MEND_DATABASE_URL).",
            2,
        )
    # A broken policy or a database to upgrade is told once here, not once by every worker.
    _runtime(settings).close()
    raise typer.Exit(supervise(host=host, port=port, count=count))


def _serve_as_worker(*, host: str, port: int, index: int, supervisor: int) -> None:
    import asyncio

    from adapters.workers import run_until_stopped

    runtime = _runtime()
    try:
        asyncio.run(run_until_stopped(runtime, host=host, port=port, index=index, supervisor=supervisor))
    finally:
        runtime.close()


@policy_app.command("check")
def policy_check(file: Annotated[Path, typer.Argument(help="the policy YAML file")]) -> None:
    """Check a policy file and print every problem with its line and field."""
    from policies.loader import PolicyError, load_policy

    try:
        policy = load_policy(file)
    except PolicyError as exc:
        if len(exc.problems) == 1:  # the line names the file already
            raise _fail(str(exc.problems[0])) from exc
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise _fail(f"{len(exc.problems)} problem(s) in {file}") from exc
    typer.echo(
        f"{file}: OK ({len(policy.roles)} roles, {len(policy.categories)} categories, "
        f"currency {policy.currency})"
    )


@staff_app.command("import")
def staff_import(
    file: Annotated[Path, typer.Argument(help="CSV: platform,user_id,name,email,role,manager,location")],
) -> None:
    """Load a CSV staff directory; people not in it get the policy's default role."""
    from bot import staff
    from bot.errors import MendError

    try:
        data = file.read_bytes()
        text = data.decode("utf-8-sig")
    except OSError as exc:
        raise _fail(f"Cannot read {file}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(
            f"{file} is not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}); nothing was imported."
            f" Save it as UTF-8, or convert it: iconv -f latin1 -t utf-8 {file} > utf8-{file.name}"
        ) from exc
    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            result = staff.import_staff(text, session=session, policy=runtime.policy, clock=runtime.clock)
    except MendError as exc:
        raise _fail(f"{file}: nothing was imported:\n{exc.message}") from exc
    finally:
        runtime.close()
    typer.echo(f"{file}: {result.added} added, {result.updated} updated.")
    for linked in result.linked:
        typer.echo(f"  linked: {linked}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database (MEND_DATABASE_URL) to the newest schema."""
    from db import migrate
    from db.session import UnsupportedDatabase, make_engine

    settings = Settings()
    try:
        engine = make_engine(settings.database_url)
    except UnsupportedDatabase as exc:
        raise _fail(_unsupported(exc)) from exc
    try:
        migrate.upgrade(engine)
        typer.echo(f"{settings.describe_database()}: at schema {migrate.current_revision(engine)}.")
    except DBAPIError as exc:
        raise _fail(_unreachable(settings, exc)) from exc
    finally:
        engine.dispose()


@deliveries_app.command("list")
def deliveries_list(
    failed: Annotated[
        bool, typer.Option("--failed", help="only dead-lettered deliveries (out of attempts)")
    ] = False,
    limit: Annotated[int, typer.Option(help="how many to show, newest first")] = 50,
) -> None:
    """List deliveries with their status, attempts and last error."""
    from db import queries

    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            rows = queries.list_deliveries(session, status="failed" if failed else None, limit=limit)
            if not rows:
                typer.echo("No failed deliveries." if failed else "No deliveries.")
                return
            typer.echo(f"{'ID':>6}  {'STATUS':<8} {'KIND':<17} {'TO':<14} {'ATTEMPTS':>8}  DUE / LAST ERROR")
            for row in rows:
                to = f"staff {row.recipient_id}" if row.recipient_id else f"#{row.channel}"
                due = row.due_at.strftime("%Y-%m-%d %H:%M UTC")
                error = f"  {row.last_error}" if row.last_error else ""
                typer.echo(
                    f"{row.id:>6}  {row.status:<8} {row.kind:<17} {to:<14} {row.attempts:>8}  {due}{error}"
                )
    finally:
        runtime.close()


@deliveries_app.command("retry")
def deliveries_retry(
    delivery_id: Annotated[
        int, typer.Argument(metavar="ID", help="the delivery's id, from `mend deliveries list`")
    ],
) -> None:
    """Send a failed delivery again, with a fresh set of attempts, at the dispatcher's next pass."""
    from bot import deliveries

    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            status = deliveries.retry_failed(session, delivery_id, now=runtime.clock.now())
            if status is None:
                raise _fail(f"No delivery has ID {delivery_id}. See: mend deliveries list --failed")
            if status != "failed":
                raise _fail(f"Delivery {delivery_id} is {status}, not failed; nothing to retry.")
            session.commit()
    finally:
        runtime.close()
    typer.echo(f"Delivery {delivery_id} will be sent again at the dispatcher's next pass.")


@app.command()
def doctor() -> None:
    """Check the settings, policy, database and schema, and try the credentials; say what to fix."""
    from adapters.doctor import run_checks

    problems = 0
    for check in run_checks(Settings()):
        mark = "FAIL" if not check.ok else "warn" if check.warning else "ok  "
        typer.echo(f"[{mark}] {check.name}: {check.detail}")
        problems += not check.ok
    if problems:
        raise _fail(f"{problems} problem(s) found.")


@teams_app.command("package")
def teams_package(
    out: Annotated[Path, typer.Option(help="where to write the zip")] = Path("mend-teams.zip"),
    app_id: Annotated[
        str | None, typer.Option(help="the Azure Bot's Microsoft App ID (default: MICROSOFT_APP_ID)")
    ] = None,
    version: Annotated[str, typer.Option(help="the app version; raise it for every upload")] = "1.0.0",
    developer: Annotated[str, typer.Option(help="your organisation's name, shown in Teams")] = "Mend",
    website: Annotated[str, typer.Option(help="an https:// page about the app")] = "https://example.com",
) -> None:
    """Build the Teams app package (manifest.json and icons) to upload in Teams."""
    from adapters.teams.package import PackageError, build_package

    app_id = app_id or Settings().microsoft_app_id
    if not app_id:
        raise _fail("Set MICROSOFT_APP_ID (the Azure Bot's app id) or pass --app-id.")
    try:
        path = build_package(out, app_id, version=version, developer=developer, website=website)
    except PackageError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"{path}: upload it in Teams (Apps > Manage your apps > Upload an app).")


reports_cli.register(app)  # mend report, mend export


def main() -> None:
    """Run the mend command."""
    from db.session import UnsupportedDatabase

    try:
        app()
    except UnsupportedDatabase as exc:  # from a command that opens the database on its own
        typer.echo(_unsupported(exc), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
