"""`baton policy`: check, diff, simulate, approve, apply, show, draw and
explain the agreed policy."""

from __future__ import annotations

import click

from .app import App


@click.group()
def policy() -> None:
    """Check, diff, simulate, approve and apply the policy.

    Also: show any version, draw it, explain a trigger or a state, and print
    the JSON Schema editors use."""


@policy.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.pass_obj
def check(app: App, files: tuple[str, ...]) -> None:
    """Check policy files and name every problem.

    Each problem is one line: FILE:LINE:COL: message."""
    from statemachine.errors import PolicyInvalid
    from statemachine.policy import read_policy_file

    failed = False
    for path in files:
        try:
            _, checked = read_policy_file(path)
        except PolicyInvalid as error:
            failed = True
            if app.as_json:
                problems = [{"line": p.line, "col": p.col, "message": p.message} for p in error.problems]
                app.emit({"file": path, "ok": False, "problems": problems})
            else:
                for problem in error.problems:
                    click.echo(str(problem), err=True)
            continue
        if app.as_json:
            app.emit({"file": path, "ok": True, "policy": checked.name, "version": checked.version, "problems": []})
        else:
            click.echo(
                f"{path}: OK, policy {checked.name} version {checked.version} "
                f"({len(checked.states)} states, {len(checked.transitions)} transitions)"
            )
    if failed:
        raise SystemExit(1)


@policy.command()
@click.argument("file", metavar="FILE")
@click.option("--map", "maps", multiple=True, metavar="OLD=NEW",
              help="Move the leads in a state the new version removes (repeatable).")
@click.pass_obj
def apply(app: App, file: str, maps: tuple[str, ...]) -> None:
    """Put a new version of the policy in force.

    Its `version` must be higher than the one in force."""
    from statemachine.policy import read_policy_file
    from statemachine.policy.versions import apply_policy, parse_maps

    moves = parse_maps(maps)
    text, checked = read_policy_file(file)
    ws = app.workspace(write=True)
    applied = apply_policy(ws.store, file, text, checked, ws.actor, ws.at, moves)
    if app.as_json:
        app.emit(applied.as_json())
        return
    click.echo(f"Applied policy {applied.policy} version {applied.version} (was version {applied.previous}), "
               f"sha256 {applied.hash}.")
    for source, leads in applied.moved.items():
        named = ", ".join(leads[:10]) + (f" and {len(leads) - 10} more" if len(leads) > 10 else "")
        click.echo(f"Moved {len(leads)} lead{'s' if len(leads) != 1 else ''} from {source} to "
                   f"{applied.maps[source]}: {named}.")
    if applied.added_fields:
        click.echo(f"New fields: {', '.join(applied.added_fields)}.")


@policy.command()
@click.option("--version", "version", type=int, metavar="N", help="A past version (default: the one in force).")
@click.pass_obj
def show(app: App, version: int | None) -> None:
    """The policy in force, or any past version.

    Prints its exact text, version and hash."""
    from statemachine.errors import BadArgument

    ws = app.workspace(write=False)
    row = ws.store.db.execute(
        "SELECT version, name, hash, applied_at, text FROM policies WHERE version = ?",
        (version if version is not None else ws.policy.version,),
    ).fetchone()
    if row is None:
        known = [str(v) for (v,) in ws.store.db.execute("SELECT version FROM policies ORDER BY version")]
        raise BadArgument(f"there is no policy version {version} (versions: {', '.join(known)})")
    number, name, digest, applied_at, text = row
    if app.as_json:
        app.emit({"version": number, "policy": name, "hash": digest, "applied_at": applied_at, "text": text})
        return
    click.echo(f"# policy {name} version {number}, sha256 {digest}, applied {applied_at}")
    click.echo(text, nl=not text.endswith("\n"))


@policy.command()
@click.argument("file", required=False, metavar="[FILE]")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.pass_obj
def diagram(app: App, file: str | None, fmt: str) -> None:
    """The lifecycle as a diagram, guards on arrows.

    Draws FILE, or the policy in force."""
    from statemachine import diagram as draw

    if file is not None:
        from statemachine.policy import read_policy_file

        _, drawn = read_policy_file(file)
    else:
        drawn = app.workspace(write=False).policy
    text = draw.mermaid(drawn) if fmt == "mermaid" else draw.dot(drawn)
    if app.as_json:
        app.emit({"format": fmt, "diagram": text})
    else:
        click.echo(text)


# The commands that review and sign a change live in modules of their own;
# each keeps its engine imports inside the command, as the ones above do.
from .policy_diff import diff  # noqa: E402
from .policy_explain import explain  # noqa: E402
from .policy_schema import schema  # noqa: E402
from .policy_signoff import approvals, approve  # noqa: E402
from .policy_simulate import simulate  # noqa: E402

for _command in (explain, diff, simulate, approve, approvals, schema):
    policy.add_command(_command)
