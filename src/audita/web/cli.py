"""`audita serve`, `audita user` and `audita member`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from audita.cli import Context, console, err_console, pass_ctx
from audita.web.accounts import (
    ROLES,
    add_member,
    create_user,
    disable_user,
    list_users,
    remove_member,
)

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--certfile", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="TLS certificate (PEM); needed unless served on loopback or behind a TLS proxy.")
@click.option("--keyfile", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None)
@click.option("--max-upload-mb", type=int, default=2048, show_default=True, help="Largest file accepted by upload.")
@click.option("--no-processing", is_flag=True, help="Do not run speech processing in the background.")
@pass_ctx
def serve_command(ctx: Context, host: str, port: int, certfile: Path | None, keyfile: Path | None,
                  max_upload_mb: int, no_processing: bool) -> None:
    """Start the web workbench."""
    import uvicorn

    from audita.logsafe import uvicorn_log_config
    from audita.web.app import create_app
    from audita.web.options import WebOptions

    if host not in LOOPBACK and certfile is None:
        err_console.print("[yellow]warning:[/] session cookies are Secure-only: browsers send them over https, or "
                          "to http://localhost / 127.0.0.1 only. Use --certfile/--keyfile or a TLS proxy.")
    options = WebOptions(max_upload_bytes=max_upload_mb << 20)
    app = create_app(ctx.workspace, options, processor=None if no_processing else "default")
    scheme = "https" if certfile else "http"
    console.print(f"Audita workbench on {scheme}://{host}:{port}/ (store {ctx.workspace.settings.home})")
    uvicorn.run(app, host=host, port=port, ssl_certfile=str(certfile) if certfile else None,
                ssl_keyfile=str(keyfile) if keyfile else None, server_header=False, proxy_headers=False,
                log_level="info", log_config=uvicorn_log_config("info"))  # request lines and errors escaped


@click.group("user")
def user_group() -> None:
    """Workbench accounts."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@pass_ctx
def user_add(ctx: Context, name: str, role: str, password_stdin: bool) -> None:
    """Create a user (the first one is usually `--role admin`)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    created = create_user(ctx.workspace, name, password, role=role, actor=ctx.actor)
    console.print(f"created user {created.username} ({created.role})", highlight=False)


@user_group.command("list")
@pass_ctx
def user_list(ctx: Context) -> None:
    """List users."""
    table = Table("user", "role", "created", "by", "disabled")
    with ctx.workspace.reading() as connection:
        for u in list_users(connection):
            table.add_row(u.username, u.role, u.created_at, u.created_by, u.disabled_at or "")
    console.print(table)


@user_group.command("disable")
@click.argument("name")
@pass_ctx
def user_disable(ctx: Context, name: str) -> None:
    """Disable a user: no more logins, live sessions end at their next request."""
    disabled = disable_user(ctx.workspace, name, actor=ctx.actor)
    console.print(f"disabled {disabled.username}", highlight=False)


@click.group("member")
def member_group() -> None:
    """Who may see a case (administrators see all)."""


@member_group.command("add")
@click.option("--case", "case_name", required=True)
@click.argument("name")
@pass_ctx
def member_add(ctx: Context, case_name: str, name: str) -> None:
    """Make a user a member of a case."""
    added = add_member(ctx.workspace, case_name, name, actor=ctx.actor)
    console.print(f"{name} {'added to' if added else 'was already a member of'} {case_name!r}", highlight=False)


@member_group.command("remove")
@click.option("--case", "case_name", required=True)
@click.argument("name")
@pass_ctx
def member_remove(ctx: Context, case_name: str, name: str) -> None:
    """End a user's membership of a case."""
    removed = remove_member(ctx.workspace, case_name, name, actor=ctx.actor)
    console.print(f"{name} {'removed from' if removed else 'was not a member of'} {case_name!r}", highlight=False)
