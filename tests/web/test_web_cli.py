"""`audita user`, `audita member` and `audita serve` wiring."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from audita.cli import cli
from audita.custody.log import entries
from audita.store.schema import users
from audita.web.accounts import check_password, is_member


def test_first_admin_and_membership_from_the_cli(workspace, settings, case):
    runner = CliRunner()
    home = ["--home", str(settings.home), "--actor", "local:setup"]
    made = runner.invoke(cli, [*home, "user", "add", "Olena", "--role", "admin", "--password-stdin"],
                         input="a long admin password\n")
    assert made.exit_code == 0, made.output
    prompted = runner.invoke(cli, [*home, "user", "add", "ivan", "--role", "viewer"],
                             input="another long password\nanother long password\n")
    assert prompted.exit_code == 0, prompted.output
    short = runner.invoke(cli, [*home, "user", "add", "x", "--role", "viewer", "--password-stdin"], input="short\n")
    assert short.exit_code != 0
    with workspace.reading() as connection:
        stored = connection.execute(select(users.c.password_hash, users.c.role).where(users.c.username == "olena")).first()
        assert stored.password_hash.startswith("$argon2id$") and stored.role == "admin"
        assert check_password(connection, "olena", "a long admin password") is not None
    assert runner.invoke(cli, [*home, "member", "add", "--case", case.name, "ivan"]).exit_code == 0
    listed = runner.invoke(cli, [*home, "user", "list"], env={"COLUMNS": "200"})
    assert "olena" in listed.output and "ivan" in listed.output
    with workspace.reading() as connection:
        ivan = connection.execute(select(users.c.id).where(users.c.username == "ivan")).scalar()
        assert is_member(connection, case.id, ivan)
    assert runner.invoke(cli, [*home, "member", "remove", "--case", case.name, "ivan"]).exit_code == 0
    assert runner.invoke(cli, [*home, "user", "disable", "ivan"]).exit_code == 0
    with workspace.reading() as connection:
        assert not is_member(connection, case.id, ivan)
        assert check_password(connection, "ivan", "another long password") is None
        actions = [(e.action, e.actor) for e in entries(connection)]
    for action in ("user.created", "case.member_added", "case.member_removed", "user.disabled"):
        assert (action, "local:setup") in actions


def test_serve_is_registered():
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "--port" in result.output and "--certfile" in result.output
