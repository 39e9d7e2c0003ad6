"""`baton demo`: a guided run of the default policy on a scratch database.

It runs the real commands, printed as you would type them, on a simulated
clock, so a newcomer sees what operators see, refusals included.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import click

MONDAY = "2026-11-23"


class Step(NamedTuple):
    when: str  # the simulated clock, on MONDAY
    story: str  # printed first when set
    args: list[str]  # the command, without `baton`; none for narration only
    refused: bool = False  # the policy is meant to refuse it
    shows_notices: bool = False  # then print what the notifications it sent say


def _story() -> list[Step]:
    ana = ["first_name=Ana", "last_name=Ortiz", "email=ana@northwind.example", "company=Northwind",
           "title=CFO", "persona=executive", "source=webinar", "product=Forecasting",
           "awareness=solution", "score=82", "content=Attended the Q4 forecasting webinar; asked about pricing"]
    ben = ["first_name=Ben", "email=ben@contoso.example", "company=Contoso", "persona=manager",
           "source=landing_page", "score=64"]
    cleo = ["first_name=Cleo", "phone=+44 20 7946 0000", "company=Fabrikam", "persona=practitioner",
            "source=referral", "product=Reporting", "awareness=problem", "score=71"]
    bant = ["budget=25000", "authority=yes", "need=Replace spreadsheets for the monthly forecast", "timeline=2027-02-01"]
    return [
        Step("09:00", "The demo plays out a Monday on a simulated clock (`--now`), so each change also records when "
             "it was really written, and `lead history` shows that beside it. Marketing (jane) has three leads "
             "whose score passed the agreed threshold of 60.", []),
        Step("09:01", "", ["--as", "jane", "lead", "add", "--id", "L-1", *ana]),
        Step("09:02", "", ["--as", "jane", "lead", "add", "--id", "L-2", *ben]),
        Step("09:03", "", ["--as", "jane", "lead", "add", "--id", "L-3", *cleo]),
        Step("09:10", "Handing over L-1: the handover checklist is complete, so Sales gets it.",
             ["--as", "jane", "lead", "advance", "L-1", "hand_over"]),
        Step("09:11", "Handing over L-2 too early: Baton refuses and names every missing item.",
             ["--as", "jane", "lead", "advance", "L-2", "hand_over"], refused=True),
        Step("09:20", "Jane fills in what was missing, and the handover goes through.",
             ["--as", "jane", "lead", "set", "L-2", "product=Reporting", "awareness=problem"]),
        Step("09:21", "", ["--as", "jane", "lead", "advance", "L-2", "hand_over"]),
        Step("09:22", "", ["--as", "jane", "lead", "advance", "L-3", "hand_over"]),
        Step("10:00", "Sales qualifies L-1 with BANT. Entering SQL routes it: executives go to carol.",
             ["--as", "alice", "lead", "set", "L-1", *bant]),
        Step("10:01", "", ["--as", "alice", "lead", "advance", "L-1", "qualify"]),
        Step("10:02", "Carol is told at once that L-1 is hers, with everything marketing learned about Ana, so "
             "her first call is not a cold one. `baton notify send` delivers it by webhook, email or, in this "
             "demo, a file:", ["notify", "send"], shows_notices=True),
        Step("10:05", "Bob is out until 2pm; routing skips him until then.",
             ["--as", "bob", "rep", "away", "bob", "--until", f"{MONDAY}T14:00"]),
        Step("10:10", "L-2 and L-3 are qualified and go to the least loaded available rep.",
             ["--as", "alice", "lead", "set", "L-2", *bant]),
        Step("10:11", "", ["--as", "alice", "lead", "advance", "L-2", "qualify"]),
        Step("10:12", "", ["--as", "alice", "lead", "set", "L-3", *bant]),
        Step("10:13", "", ["--as", "alice", "lead", "advance", "L-3", "qualify"]),
        Step("10:30", "The assigned reps acknowledge their leads and make first contact.",
             ["--as", "carol", "lead", "advance", "L-1", "accept"]),
        Step("10:31", "", ["--as", "alice", "lead", "advance", "L-3", "accept"]),
        Step("11:00", "", ["--as", "carol", "lead", "advance", "L-1", "contact"]),
        Step("11:05", "", ["--as", "alice", "lead", "advance", "L-3", "contact"]),
        Step("14:00", "Alice wants to give L-3 back after one call; the policy asks for 3 attempts first.",
             ["--as", "alice", "lead", "advance", "L-3", "recycle", "reason=no answer"], refused=True),
        Step("14:05", "", ["--as", "alice", "lead", "attempt", "L-3", "--channel", "phone", "--note", "voicemail"]),
        Step("14:30", "Nobody acknowledged L-2 within the agreed 4 business hours (due 14:11). The SLA sweep, "
             "which `baton serve` runs every minute, records the breach, queues a notification for alice "
             "and the sales manager, and gives L-2 to bob, who is back.",
             ["sla", "sweep"]),
        Step("15:00", "Bob acknowledges L-2 at once.", ["--as", "bob", "lead", "advance", "L-2", "accept"]),
        Step("15:05", "Alice keeps trying L-3.", ["--as", "alice", "lead", "attempt", "L-3", "--channel", "email"]),
        Step("16:05", "", ["--as", "alice", "lead", "attempt", "L-3", "--channel", "phone", "--note", "no answer"]),
        Step("16:10", "Three attempts made: the lead goes back to marketing, with its reason.",
             ["--as", "alice", "lead", "advance", "L-3", "recycle", "reason=no response after three attempts"]),
        Step("17:00", "Carol closes L-1.", ["--as", "carol", "lead", "advance", "L-1", "win"]),
        Step("17:05", "Where everything stands, and who carries what:", ["lead", "list"]),
        Step("17:06", "", ["rep", "list"]),
        Step("17:07", "Every step is an event in the hash-chained log; here are the stories of L-2 and L-3:",
             ["lead", "history", "L-2"]),
        Step("17:08", "", ["lead", "history", "L-3"]),
        *_policy_change(),
    ]


def _policy_change() -> list[Step]:
    """The heads change the agreement: a proposal, its diff and simulation, both signatures."""
    dana = ["first_name=Dana", "email=dana@tailspin.example", "company=Tailspin", "persona=manager",
            "source=event", "product=Forecasting", "awareness=problem", "score=52"]
    return [
        Step("17:10", "Jane has a lead that scored 52: complete, but under the agreed threshold.",
             ["--as", "jane", "lead", "add", "--id", "L-4", *dana]),
        Step("17:11", "", ["--as", "jane", "lead", "advance", "L-4", "hand_over"], refused=True),
        Step("17:30", "The heads review the agreement. Hana (marketing) proposes handing leads over from a "
             "score of 50; Sam (sales) asks for SQL leads to be acknowledged within 2 business hours, not 4. "
             "Hana writes both into version 2 of the policy. What it changes, in plain words:",
             ["policy", "diff", "@active", PROPOSAL]),
        Step("17:31", "What it would do to the leads in flight, before anyone signs (nothing is written):",
             ["policy", "simulate", PROPOSAL]),
        Step("17:35", "The agreement needs both heads. Hana signs for marketing; Baton tells Sam it waits for him.",
             ["--as", "hana", "policy", "approve", PROPOSAL]),
        Step("17:36", "Jane tries to put it in force before sales has signed: refused.",
             ["--as", "jane", "policy", "apply", PROPOSAL], refused=True),
        Step("17:40", "Sam signs for sales, and puts the signed text in force.",
             ["--as", "sam", "policy", "approve", PROPOSAL]),
        Step("17:41", "", ["--as", "sam", "policy", "apply", PROPOSAL]),
        Step("17:45", "Under version 2, L-4 goes to sales.", ["--as", "jane", "lead", "advance", "L-4", "hand_over"]),
        Step("18:00", "At the end of the day both heads read the same numbers, computed from the log alone: "
             "how far leads got, and how fast.", ["report", "funnel"]),
        Step("18:01", "Every report on one page, to open in a browser or attach to an email:",
             ["report", "html", PAGE]),
    ]


# Stand for paths in the story; `demo` puts the real ones in.
PROPOSAL = "{proposal}"
PAGE = "{page}"


def proposal_text(default: str) -> str:
    """Version 2 as Hana writes it: the two changes the heads agree on."""
    changes = (("version: 1\n", "version: 2\n"), ("score >= 60", "score >= 50"),
               ("the score must reach 60", "the score must reach 50"), ("within: 4h", "within: 2h"))
    for old, new in changes:
        assert old in default, old
        default = default.replace(old, new, 1)
    return default


@click.command()
@click.option("--keep", "keep", metavar="PATH", help="Where to leave the demo database (default: a scratch folder).")
def demo(keep: str | None) -> None:
    """Tour the default policy on a scratch database.

    A guided run of the real commands on a simulated Monday, refusals, an
    SLA breach and a signed change of the policy included; it needs no input.
    """
    from statemachine.audit import verify_chain
    from statemachine.store import Store

    from .main import cli

    if keep is not None:
        _check_keep(keep)
    folder = tempfile.mkdtemp(prefix="baton-demo-")
    db = keep or os.path.join(folder, "demo.db")
    policy_file = os.path.join(folder, "default.yaml")
    notices = os.path.join(folder, "notices.jsonl")
    default = resources.files("baton_policies").joinpath("default.yaml").read_text(encoding="utf-8")
    # a JSON string is a YAML one: the scratch folder's path, quoted
    default += (f"\n# The demo's notifications go to a file; yours would go by webhook or email.\n"
                f"notify:\n  file: {json.dumps(notices)}\n")
    with open(policy_file, "w", encoding="utf-8") as handle:
        handle.write(default)
    proposal = os.path.join(folder, "proposal.yaml")
    page = os.path.join(folder, "reports.html")
    with open(proposal, "w", encoding="utf-8") as handle:
        handle.write(proposal_text(default))

    def run(args: list[str], when: str, refusal_expected: bool) -> None:
        click.secho("$ baton " + shlex.join(args), bold=True)
        try:
            cli.main(args=["--db", db, "--now", f"{MONDAY}T{when}", *args], prog_name="baton", standalone_mode=False)
        except click.ClickException as error:
            if not refusal_expected:
                raise click.ClickException(f"the demo stopped unexpectedly: {error.format_message()}") from None
            click.echo(f"refused: {error.format_message()}")

    click.echo("Baton demo: the default handover policy on a scratch database.")
    click.echo(f"Policy: {policy_file}\nDatabase: {db}\n")
    run(["--as", "jane", "init", "--policy", policy_file], "08:59", refusal_expected=False)
    for step in _story():
        if step.story:
            click.echo(f"\n# {step.when} {step.story}")
        if step.args:
            paths = {PROPOSAL: proposal, PAGE: page}
            run([paths.get(arg, arg) for arg in step.args], step.when, step.refused)
        if step.shows_notices:
            _show_notices(notices)
    store = Store.open(db, write=False)
    try:
        checked, problem = verify_chain(store)
    finally:
        store.close()
    click.echo(f"\n# The log holds {checked} events and its hash chain is "
               + ("intact." if problem is None else f"BROKEN: {problem}"))
    click.echo(f"\nThe reports page: {page}")
    click.echo(f"Explore it yourself:  BATON_DB={shlex.quote(db)} {baton_command()} lead show L-1")


def _show_notices(path: str) -> None:
    """What each notification in the demo's file says, as its recipients read it."""
    from statemachine.notify_text import field_lines

    if not os.path.exists(path):
        return  # nothing was sent: a policy without `routing: notify:`
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            note = json.loads(line)
            click.echo(f"What {' and '.join(note['recipients'])} received:")
            for said in [note["text"], *field_lines(note.get("fields") or {})]:
                click.echo(f"  {said}")


def _check_keep(keep: str) -> None:
    """Refuse a --keep path the demo cannot create, before printing anything."""
    from statemachine.dburl import is_postgres, masked, other_url

    if is_postgres(keep) or other_url(keep):
        raise click.ClickException(
            f"the demo keeps its database in a file, not at {masked(keep)}; give --keep a file's path, like "
            "--keep demo.db, then `baton db copy demo.db URL` moves it to PostgreSQL"
        )
    if os.path.lexists(keep):
        raise click.ClickException(
            f"{keep} already exists, and the demo never writes over a file; give --keep a new path, like --keep demo-2.db"
        )
    folder = os.path.dirname(os.path.abspath(keep))
    if not os.path.isdir(folder):
        raise click.ClickException(f"cannot keep the demo database at {keep}: there is no folder {folder}")


def baton_command() -> str:
    """How to run this same Baton from a pasted line, whether or not `baton` is on PATH."""
    running = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if running is not None and running.is_file() and running.name.startswith("baton"):
        return shlex.quote(str(running))
    # Not started as the `baton` script (in tests, or by `python -c`): the script
    # installed next to this Python, else this Python itself.
    script = Path(sys.executable).with_name("baton")
    if script.is_file():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -c 'from cli.main import main; main()'"
