"""The `baton` command: global options, and the edge where engine errors
become one plain line on stderr, exit 1 (2 for the wrong shape of command
line); with --json, one JSON object on stderr instead."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from typing import IO, Any

import click

from statemachine.errors import BadUsage, BatonError, PolicyInvalid, PolicyProblem

from .app import App

# name -> module of cli/ that defines it; a command's module is imported only
# when that command runs (or help lists it), so `baton lead show` pays for
# neither the audit nor the notification code.
COMMANDS = {
    "init": "init", "policy": "policy", "lead": "lead", "rep": "rep", "sla": "sla",
    "notify": "notify", "serve": "serve", "token": "token", "audit": "audit", "report": "report", "demo": "demo",
    "db": "db",
}


class BatonGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            command = getattr(importlib.import_module(f"cli.{COMMANDS[cmd_name]}"), cmd_name)
            for leaf in _leaf_commands(command):
                _take_json_after(leaf)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        except BrokenPipeError:
            pass  # the reader (`| head`) has all it wanted; leave the frames before exiting
        # Later writes (and the interpreter's final flush) go nowhere, quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        ctx.exit(0)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGS] = list(args)
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as error:
            if not _wants_json(ctx):
                raise
            failure = Failure.of(error.format_message(), error.exit_code)
        failure.as_json = True
        raise failure

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BatonError as error:
            failure = _failure(error)
        except sqlite3.Error as error:
            from statemachine.dburl import masked

            app = ctx.find_object(App)
            where = masked(app.db) if app else "the database"
            failure = Failure(f"{where}: database error: {error}")
        except click.ClickException as error:  # click's own: a missing argument, an unknown option ...
            if not _wants_json(ctx):
                raise
            failure = Failure.of(error.format_message(), error.exit_code)
        failure.as_json = _wants_json(ctx)
        raise failure


_ARGS = "baton.args"  # the command line, kept in ctx.meta for `_wants_json`


class Failure(click.ClickException):
    """An error as people read it: one `Error:` line, or a broken policy's
    located problems one a line; with --json, one object on stderr instead
    (`{"error": SENTENCE, "exit": 1}`, with `problems` for a broken policy),
    so scripts need not parse prose."""

    def __init__(self, message: str, problems: list[PolicyProblem] | None = None):
        super().__init__(message)
        self.problems = problems
        self.as_json = False

    @staticmethod
    def of(message: str, exit_code: int) -> Failure:
        return UsageFailure(message) if exit_code == 2 else Failure(message)

    def show(self, file: IO[Any] | None = None) -> None:
        if self.as_json:
            shown: dict[str, Any] = {"error": self.message, "exit": self.exit_code}
            if self.problems is not None:
                shown["problems"] = [{"file": p.file, "line": p.line, "col": p.col, "message": p.message}
                                     for p in self.problems]
            click.echo(json.dumps(shown, ensure_ascii=False), err=True)
        elif self.problems:
            for problem in self.problems:
                click.echo(str(problem), err=True)
        else:
            click.echo(f"Error: {self.message}", err=True)


class UsageFailure(Failure):
    """The command line has the wrong shape: exit 2, as click's own usage errors."""

    exit_code = 2


def _failure(error: BatonError) -> Failure:
    if isinstance(error, PolicyInvalid):
        files = ", ".join(dict.fromkeys(problem.file for problem in error.problems))
        sentence = f"{files} is not a valid policy: " + "; ".join(str(problem) for problem in error.problems)
        return Failure(sentence, error.problems)
    return UsageFailure(str(error)) if isinstance(error, BadUsage) else Failure(str(error))


def _wants_json(ctx: click.Context) -> bool:
    """--json before the command sets the App's flag; after it, the flag is set
    only once the command's options are read, so an error in reading them
    looks for `--json` on the command line itself."""
    app = ctx.find_object(App)
    if app is not None and app.as_json:
        return True
    args: list[str] = ctx.meta.get(_ARGS, [])
    return "--json" in (args[:args.index("--")] if "--" in args else args)


@click.group(cls=BatonGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="BATON_DB", default="baton.db", show_default=True, metavar="PATH",
              help="The Baton database: an SQLite file, or a postgresql:// URL (or BATON_DB).")
@click.option("--as", "actor", envvar="BATON_ACTOR", metavar="ACTOR",
              help="Who is acting (or BATON_ACTOR); default: your login name.")
@click.option("--now", envvar="BATON_NOW", metavar="ISO-8601",
              help="The clock for this command (or BATON_NOW); naive times are in the policy's zone.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output: JSON, lists as JSON lines.")
@click.version_option(package_name="leadbaton", prog_name="baton")
@click.pass_context
def cli(ctx: click.Context, db: str, actor: str | None, now: str | None, as_json: bool) -> None:
    """Baton: the marketing-to-sales lead handover as an agreed, auditable state machine.

    \b
    Start with:  baton demo
    Then:        baton init --policy policies/default.yaml
                 baton --as jane lead add email=ana@example.com score=70
    """
    ctx.obj = App(db=db, actor=actor, now=now, as_json=as_json)
    ctx.call_on_close(ctx.obj.close)


def _json_after_command(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_object(App).as_json = True  # type: ignore[union-attr]


def _leaf_commands(command: click.Command) -> Iterator[click.Command]:
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _leaf_commands(sub)
    else:
        yield command


def _take_json_after(command: click.Command) -> None:
    """`--json` is a global option (`baton --json lead show L-1`); scripts and
    people also write it after the command (`baton lead show L-1 --json`), so
    every command takes it too."""
    if not any(param.name == "json" for param in command.params):
        command.params.append(click.Option(
            ["--json"], is_flag=True, expose_value=False, callback=_json_after_command,
            help="Machine-readable output (the same as `baton --json ...`).",
        ))


def main() -> None:
    cli(prog_name="baton")


if __name__ == "__main__":  # `python -m cli.main ...`, as a checkout without the console script runs it
    main()
