"""`audita review`: the history of an item's transcript versions and two-person sign-off."""

from __future__ import annotations

import click
from rich.table import Table

from audita.cli import Context, console, pass_ctx
from audita.review.history import history
from audita.review.signoff import DECISIONS, sign_off


@click.group("review")
def review_group() -> None:
    """Transcript versions, corrections and sign-offs."""


@review_group.command("history")
@click.argument("item_id")
@pass_ctx
def history_command(ctx: Context, item_id: str) -> None:
    """Show an item's transcript versions with who, when, why and sign-offs (recorded as a view)."""
    from audita.items import resolve_item_id
    from audita.review.store import item_case_id

    workspace = ctx.workspace
    with workspace.reading() as connection:
        item_id = resolve_item_id(connection, item_id)
        rows = history(connection, item_id)
        case_id = item_case_id(connection, item_id)
    with workspace.action() as connection:
        workspace.record(connection, "item.viewed", ctx.actor, case_id=case_id, item_id=item_id,
                         details={"view": "review-history", "versions": len(rows)})
    if not rows:
        console.print("no transcript yet")
        return
    table = Table("version", "kind", "by", "at", "note", "changed", "sign-offs")
    for v in rows:
        kind = "machine" if v.is_machine else "edit"
        if v.is_current:
            kind += " (current)"
        signed = "; ".join(f"{s.decision} by {s.by} at {s.at}" for s in v.signoffs) or "unreviewed"
        table.add_row(v.id, kind, v.by, v.at, v.note, ",".join(map(str, v.changed)), signed)
    console.print(table)


@review_group.command("signoff")
@click.argument("version_id")
@click.option("--decision", type=click.Choice(DECISIONS), required=True)
@click.option("--note", default="", help="What was checked, or which changes are requested.")
@pass_ctx
def signoff_command(ctx: Context, version_id: str, decision: str, note: str) -> None:
    """Sign off a version someone else wrote (two-person review)."""
    row = sign_off(ctx.workspace, version_id, decision=decision, note=note, actor=ctx.actor)
    console.print(f"signed off {version_id}: {decision} ({row.id})", highlight=False)
