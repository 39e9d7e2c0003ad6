"""`baton demo`: a guided run of the default policy on a scratch database.

It runs the real commands, printed as you would type them, on a simulated
clock, so a newcomer sees what operators see, refusals included.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from importlib import resources

import click

MONDAY = "2026-11-23"


def _story() -> list[tuple[str, str, list[str]]]:
    """(time, narration, command) steps; narration is printed first when set."""
    ana = ["first_name=Ana", "last_name=Ortiz", "email=ana@northwind.example", "company=Northwind",
           "title=CFO", "persona=executive", "source=webinar", "product=Forecasting",
           "awareness=solution", "score=82", "content=Attended the Q4 forecasting webinar; asked about pricing"]
    ben = ["first_name=Ben", "email=ben@contoso.example", "company=Contoso", "persona=manager",
           "source=landing_page", "score=64"]
    cleo = ["first_name=Cleo", "phone=+44 20 7946 0000", "company=Fabrikam", "persona=practitioner",
            "source=referral", "product=Reporting", "awareness=problem", "score=71"]
    bant = ["budget=25000", "authority=yes", "need=Replace spreadsheets for the monthly forecast", "timeline=2027-02-01"]
    return [
        ("09:00", "Marketing (jane) has three leads whose score passed the agreed threshold of 60.", []),
        ("09:01", "", ["--as", "jane", "lead", "add", "--id", "L-1", *ana]),
        ("09:02", "", ["--as", "jane", "lead", "add", "--id", "L-2", *ben]),
        ("09:03", "", ["--as", "jane", "lead", "add", "--id", "L-3", *cleo]),
        ("09:10", "Handing over L-1: the handover checklist is complete, so Sales gets it.",
         ["--as", "jane", "lead", "advance", "L-1", "hand_over"]),
        ("09:11", "Handing over L-2 too early: Baton refuses and names every missing item.",
         ["--as", "jane", "lead", "advance", "L-2", "hand_over"]),
        ("09:20", "Jane fills in what was missing, and the handover goes through.",
         ["--as", "jane", "lead", "set", "L-2", "product=Reporting", "awareness=problem"]),
        ("09:21", "", ["--as", "jane", "lead", "advance", "L-2", "hand_over"]),
        ("09:22", "", ["--as", "jane", "lead", "advance", "L-3", "hand_over"]),
        ("10:00", "Sales qualifies L-1 with BANT. Entering SQL routes it: executives go to carol.",
         ["--as", "alice", "lead", "set", "L-1", *bant]),
        ("10:01", "", ["--as", "alice", "lead", "advance", "L-1", "qualify"]),
        ("10:05", "Bob is out today; routing will skip him.", ["--as", "bob", "rep", "away", "bob", "--until", f"{MONDAY}T18:00"]),
        ("10:10", "L-2 and L-3 are qualified and go to the least loaded available rep.",
         ["--as", "alice", "lead", "set", "L-2", *bant]),
        ("10:11", "", ["--as", "alice", "lead", "advance", "L-2", "qualify"]),
        ("10:12", "", ["--as", "alice", "lead", "set", "L-3", *bant]),
        ("10:13", "", ["--as", "alice", "lead", "advance", "L-3", "qualify"]),
        ("10:30", "The assigned reps acknowledge their leads and make first contact.",
         ["--as", "carol", "lead", "advance", "L-1", "accept"]),
        ("10:31", "", ["--as", "alice", "lead", "advance", "L-3", "accept"]),
        ("11:00", "", ["--as", "carol", "lead", "advance", "L-1", "contact"]),
        ("11:05", "", ["--as", "alice", "lead", "advance", "L-3", "contact"]),
        ("14:00", "Alice wants to give L-3 back after one call; the policy asks for 3 attempts first.",
         ["--as", "alice", "lead", "advance", "L-3", "recycle", "reason=no answer"]),
        ("14:05", "", ["--as", "alice", "lead", "attempt", "L-3", "--channel", "phone", "--note", "voicemail"]),
        ("15:05", "", ["--as", "alice", "lead", "attempt", "L-3", "--channel", "email"]),
        ("16:05", "", ["--as", "alice", "lead", "attempt", "L-3", "--channel", "phone", "--note", "no answer"]),
        ("16:10", "Three attempts made: the lead goes back to marketing, with its reason.",
         ["--as", "alice", "lead", "advance", "L-3", "recycle", "reason=no response after three attempts"]),
        ("17:00", "Carol closes L-1.", ["--as", "carol", "lead", "advance", "L-1", "win"]),
        ("17:05", "Where everything stands, and who carries what:", ["lead", "list"]),
        ("17:06", "", ["rep", "list"]),
        ("17:07", "Every step is an event in the hash-chained log; here is L-3's story:", ["lead", "history", "L-3"]),
    ]


@click.command()
@click.option("--keep", "keep", metavar="PATH", help="Where to leave the demo database (default: a scratch folder).")
def demo(keep: str | None) -> None:
    """A guided run of the default policy on a scratch database."""
    from statemachine.audit import verify_chain
    from statemachine.store import Store

    from .main import cli

    folder = tempfile.mkdtemp(prefix="baton-demo-")
    db = keep or os.path.join(folder, "demo.db")
    policy_file = os.path.join(folder, "default.yaml")
    with open(policy_file, "w", encoding="utf-8") as handle:
        handle.write(resources.files("baton_policies").joinpath("default.yaml").read_text(encoding="utf-8"))

    def run(args: list[str], when: str, refusal_expected: bool = False) -> None:
        click.secho("$ baton " + shlex.join(args), bold=True)
        try:
            cli.main(args=["--db", db, "--now", f"{MONDAY}T{when}", *args], prog_name="baton", standalone_mode=False)
        except click.ClickException as error:
            if not refusal_expected:
                raise click.ClickException(f"the demo stopped unexpectedly: {error.format_message()}") from None
            click.echo(f"refused: {error.format_message()}")

    click.echo("Baton demo: the default handover policy on a scratch database.")
    click.echo(f"Policy: {policy_file}\nDatabase: {db}\n")
    run(["--as", "jane", "init", "--policy", policy_file], "08:59")
    for when, story, args in _story():
        if story:
            click.echo(f"\n# {when} {story}")
        if args:
            run(args, when, refusal_expected="refuse" in story or "asks for" in story)
    store = Store.open(db, write=False)
    try:
        checked, problem = verify_chain(store)
    finally:
        store.close()
    click.echo(f"\n# The log holds {checked} events and its hash chain is "
               + ("intact." if problem is None else f"BROKEN: {problem}"))
    click.echo(f"\nExplore it yourself:  BATON_DB={shlex.quote(db)} baton lead show L-1")
