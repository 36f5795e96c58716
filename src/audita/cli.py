"""The `audita` command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from audita import __version__
from audita.config import Settings, default_actor
from audita.errors import AuditaError
from audita.logsafe import for_terminal, json_details, json_line_safe
from audita.workspace import Workspace

console = Console()
err_console = Console(stderr=True)


def shown(value: object) -> Text:
    """A stored or user-supplied value for a table cell: control characters (newlines, ANSI escape
    sequences, bidi overrides) escaped, never read as Rich markup."""
    return Text(for_terminal("" if value is None else value))


def marked(value: object) -> str:
    """The same, for an f-string printed with markup on."""
    return escape(for_terminal(value))


@dataclass
class Context:
    home: Path | None
    actor: str
    _workspace: Workspace | None = None

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = Workspace.open(Settings.from_env(self.home))
        return self._workspace


pass_ctx = click.make_pass_decorator(Context)


@contextmanager
def progress_bar(description: str) -> Iterator[callable]:
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[label]}"), console=err_console, transient=True,
    ) as progress:
        task = progress.add_task(description, total=None, label="")

        def update(done: int, total: int, label: str) -> None:
            progress.update(task, completed=done, total=total, label=marked(label[-60:]))

        yield update


@click.group()
@click.version_option(__version__, prog_name="audita")
@click.option("--home", type=click.Path(path_type=Path), envvar="AUDITA_HOME", help="Installation directory.")
@click.option("--actor", envvar="AUDITA_ACTOR", default=None, help="Who is acting (recorded in the custody log).")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, actor: str | None) -> None:
    """Audita: evidence workbench for intercepted communications."""
    ctx.obj = Context(home=home, actor=actor or default_actor())


@cli.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create the store, the blob directory and the signing key (other commands do this too)."""
    workspace = ctx.workspace
    console.print(f"store: {workspace.settings.home}")
    console.print(f"signing key id: {workspace.key.key_id}")


@cli.group()
def case() -> None:
    """Create and list cases."""


@case.command("create")
@click.argument("name")
@click.option("--description", default="", help="What the case is about.")
@pass_ctx
def case_create(ctx: Context, name: str, description: str) -> None:
    from audita.cases import create_case

    created = create_case(ctx.workspace, name, actor=ctx.actor, description=description)
    console.print(f"created case {marked(repr(created.name))} ({created.id})", highlight=False)


@case.command("list")
@pass_ctx
def case_list(ctx: Context) -> None:
    from audita.cases import list_cases

    table = Table("name", "items", "created", "by", "id")
    for c in list_cases(ctx.workspace):
        table.add_row(shown(c.name), str(c.item_count), c.created_at, shown(c.created_by), c.id)
    console.print(table)


_STATUS_STYLE = {"ingested": "green", "duplicate": "cyan", "already": "dim", "rejected": "red", "skipped": "yellow", "warning": "yellow"}


@cli.command()
@click.option("--case", "case_name", required=True, help="Case to ingest into.")
@click.option("--manifest", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="JSON or CSV manifest.")
@click.option("--accept-damaged", is_flag=True, help="Keep truncated/damaged recordings, marked as damaged.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_ctx
def ingest(ctx: Context, case_name: str, manifest: Path | None, accept_damaged: bool, paths: tuple[Path, ...]) -> None:
    """Ingest recordings (files, folders, zip archives) into a case."""
    from audita.ingest.service import IngestOptions, ingest_paths

    with progress_bar("ingest") as update:
        report = ingest_paths(
            ctx.workspace, case_name, list(paths), actor=ctx.actor,
            options=IngestOptions(accept_damaged=accept_damaged), manifest_path=manifest, progress=update,
        )
    for outcome in report.outcomes:
        style = _STATUS_STYLE[outcome.status]
        sha = f" {outcome.sha256[:12]}" if outcome.sha256 else ""
        detail = f": {outcome.message}" if outcome.message else ""
        console.print(f"[{style}]{outcome.status:9}[/]{sha} {marked(outcome.source)}{marked(detail)}", highlight=False,
                      markup=True)
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("ingested", "duplicate", "already", "skipped", "rejected"))
    console.print(f"case {marked(repr(report.case_name))}: {counts}", highlight=False)
    if not report.ok:
        sys.exit(1)


@cli.command("items")
@click.option("--case", "case_name", required=True)
@pass_ctx
def list_items(ctx: Context, case_name: str) -> None:
    """List a case's items."""
    from audita.items import list_items as query

    table = Table("id", "kind", "name", "duration", "format", "sha256")
    for item in query(ctx.workspace, case_name):
        duration = f"{item.duration:.1f} s" if item.duration is not None else ""
        table.add_row(item.id, item.kind, shown(item.display_name), duration, shown(item.format or ""), item.sha256[:16])
    console.print(table)


@cli.command()
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def show(ctx: Context, item_id: str, as_json: bool) -> None:
    """Show an item's facts and acquisitions (recorded as a view in the custody log)."""
    from audita.items import resolve_item_id, view_item

    with ctx.workspace.reading() as connection:
        item_id = resolve_item_id(connection, item_id)

    detail = view_item(ctx.workspace, item_id, actor=ctx.actor)
    text = json_line_safe(json.dumps(detail, indent=2, ensure_ascii=False))
    if as_json:
        click.echo(text)
        return
    console.print(Text(text))


@cli.command()
@click.option("--case", "case_name", default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@pass_ctx
def log(ctx: Context, case_name: str | None, limit: int) -> None:
    """Show custody log entries (newest last)."""
    from audita.cases import get_case
    from audita.custody.log import entries, latest_head

    with ctx.workspace.reading() as connection:
        case_id = get_case(connection, case_name).id if case_name else None
        rows = entries(connection, case_id=case_id, limit=limit)
        head = latest_head(connection)
    table = Table("seq", "time", "actor", "action", "item", "details")
    for e in rows:
        details = json_details(e.details)
        table.add_row(str(e.seq), e.created_at, shown(e.actor), shown(e.action), e.item_id or "", shown(details[:80]))
    console.print(table)
    if head:
        console.print(f"signed tree head: size {head.tree_size}, root {head.root_hash}, key {head.key_id[:16]}")


@cli.command()
@click.option("--case", "case_name", default=None, help="Only re-hash this case's blobs (the log is always checked whole).")
@pass_ctx
def verify(ctx: Context, case_name: str | None) -> None:
    """Re-hash stored evidence and check the custody log and its signatures."""
    from audita.verify import verify_store

    with progress_bar("verify") as update:
        report = verify_store(ctx.workspace, case=case_name, progress=update)
    for problem in report.problems:
        style = "red" if problem.severity == "error" else "yellow"
        console.print(f"[{style}]{problem.severity.upper()}[/] {marked(problem.subject)}: {marked(problem.message)}",
                      highlight=False)
    verdict = "[green]OK[/]" if report.ok else f"[red]FAILED[/] ({len(report.errors)} problems)"
    console.print(
        f"verify {verdict}: {report.blobs_checked} blobs re-hashed, {report.entries_checked} log entries, "
        f"{report.heads_checked} signed tree heads checked"
    )
    if not report.ok:
        sys.exit(1)


@cli.command("export")
@click.option("--case", "case_name", required=True)
@click.option("--item", "item_ids", multiple=True, help="Only these items (repeatable; id or unique prefix).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Package directory to create (and DIR.zip).")
@click.option("--tsa-url", envvar="AUDITA_TSA_URL", default=None, help="RFC 3161 timestamp authority URL.")
@click.option("--tsa-ca", envvar="AUDITA_TSA_CA", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              default=None, help="CA certificate that the TSA's certificate chains to.")
@click.option("--working-copies", is_flag=True, help="Add a 16 kHz mono WAV working copy per recording (labelled derived).")
@click.option("--redact", "redact_spec", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="JSON redaction spec: spans {item_id,start,end,reason} and/or terms {text,reason[,match]}.")
@click.option("--include-originals", is_flag=True, help="Include the originals of redacted items too.")
@click.option("--no-report", is_flag=True, help="Leave out report/ (PDF, DOCX, figures).")
@pass_ctx
def export_command(
    ctx: Context, case_name: str, item_ids: tuple[str, ...], out: Path, tsa_url: str | None, tsa_ca: Path | None,
    working_copies: bool, redact_spec: Path | None, include_originals: bool, no_report: bool,
) -> None:
    """Write a signed evidence package that can be verified without Audita."""
    from audita.export.package import ExportOptions, export_case
    from audita.export.redact import load_spec
    from audita.export.timestamp import TimestampAuthority
    from audita.items import resolve_item_id

    with ctx.workspace.reading() as connection:
        resolved = [resolve_item_id(connection, i) for i in item_ids]
    options = ExportOptions(working_copies=working_copies, redaction=load_spec(redact_spec) if redact_spec else None,
                            include_originals=include_originals, report=not no_report)
    tsa = TimestampAuthority(url=tsa_url, ca_file=tsa_ca) if tsa_url else None
    result = export_case(ctx.workspace, case_name, out, actor=ctx.actor, item_ids=resolved or None, tsa=tsa,
                         options=options)
    console.print(f"package: {result.directory} ({result.file_count} files, {len(result.item_ids)} items)")
    console.print(f"zip: {result.zip_path}")
    console.print(f"manifest sha256: {result.manifest_sha256}; signing key: {ctx.workspace.key.key_id}")
    if result.redacted_items:
        console.print(f"redacted items: {', '.join(result.redacted_items)}; originals withheld: "
                      f"{', '.join(result.originals_withheld) or 'none'}", highlight=False)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {marked(warning)}", highlight=False)


@cli.command("verify-package")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
def verify_package_command(path: Path) -> None:
    """Verify an evidence package (directory or zip) as a third party would."""
    from audita.export.verify_package import verify_package_path

    failures = verify_package_path(path)
    for failure in failures:
        console.print(f"[red]FAIL[/] {marked(failure)}", highlight=False)
    if failures:
        console.print(f"package NOT verified: {len(failures)} problem(s)")
        sys.exit(1)
    console.print("[green]package verified[/]")


# Stage packages contribute their own commands (module, attribute). A module that is not part of
# this installation is skipped; one that is present but fails to import is an error, not hidden.
STAGE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("audita.corpus.cli", "corpus_group"),
    ("audita.bench.cli", "bench_command"),
    ("audita.demo", "demo_command"),
    ("audita.speech.cli", "process_command"),
    ("audita.speech.cli", "transcript_command"),
    ("audita.speech.cli", "models_group"),
    ("audita.speech.cli", "speakers_group"),
    ("audita.analysis.cli", "analyze_command"),
    ("audita.analysis.cli", "glossary_group"),
    ("audita.analysis.cli", "flags_group"),
    ("audita.search.cli", "search_command"),
    ("audita.search.cli", "documents_group"),
    ("audita.search.cli", "incidents_group"),
    ("audita.search.cli", "duplicates_command"),
    ("audita.search.cli", "compare_command"),
    ("audita.web.cli", "serve_command"),
    ("audita.web.cli", "user_group"),
    ("audita.web.cli", "member_group"),
    ("audita.review.cli", "review_group"),
    ("audita.backup", "backup_command"),
    ("audita.backup", "restore_command"),
)


def _register_optional() -> None:
    import importlib
    import importlib.util

    for module, attribute in STAGE_COMMANDS:
        package = module.rpartition(".")[0]
        if importlib.util.find_spec(package) is None or importlib.util.find_spec(module) is None:
            continue
        command = getattr(importlib.import_module(module), attribute, None)
        if command is not None:
            cli.add_command(command)


_register_optional()


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except AuditaError as exc:
        err_console.print(f"[red]error:[/] {marked(exc)}", highlight=False, soft_wrap=True)
        sys.exit(2)
