"""The engine against a small reference model of the default policy.

Random commands by random people (marketing, reps, the manager, a head and
someone the policy does not name) on a few leads, with the clock moved on
between them: `lead add`, `set`, `advance` with any trigger (and one the
policy lacks), `attempt`, `forget`, `rep away` / `back` and `sla sweep`. Each
command runs through the CLI, as an operator runs it. The reference model
(`reference_model.py`) is written from SPEC's rules and
policies/default.yaml, never by asking Baton's machine: it predicts whether each command is refused, the events it writes,
and every lead's state, owner, attempts and fields afterwards. After every
command: a refused one wrote no event, an allowed one exactly the events
the model expects, and none crashed. After every step: the log replayed
(`audit replay`) equals the `leads` table (`lead list`) and both equal the
model; `audit verify` passes (after every step in the long run, every
VERIFY_EVERY steps and at the end of each run in CI).

Bounded and seeded in CI (the `ci` profile, with fewer, shorter runs than
the other property tests: each step runs several commands);
`HYPOTHESIS_PROFILE=long` searches far longer (README, Development).
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from conftest import DEFAULT_POLICY
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from reference_model import FINAL, MEMBERS, MOVES, ROLES, Model, Refused

from cli.main import cli

# -- what the commands give -------------------------------------------------------
PEOPLE = [*sorted(MEMBERS), "mallory"]  # mallory is in no role
TRIGGERS = [*MOVES, "close_deal"]  # close_deal: a trigger the policy does not have
COMMANDS = ["lead set", "lead advance", "lead attempt", "lead add", "lead forget", "rep away or back", "sla sweep"]
# field -> the texts a command gives it ("" clears it; "lots" is no integer)
VALUES = {
    "score": ["10", "75", "", "lots"], "email": ["ana@northwind.example", ""], "phone": ["+44 20 7946 0000", ""],
    "persona": ["executive", "manager", ""], "source": ["webinar", ""], "product": ["Forecasting", ""],
    "awareness": ["solution", ""], "budget": ["25000", "0", ""], "authority": ["yes", "no", ""],
    "need": ["Replace spreadsheets", ""], "timeline": ["2027-02-01", ""],
}
READY = ["email=ana@northwind.example", "source=webinar", "product=Forecasting", "awareness=solution", "score=75"]
BANT = ["budget=25000", "authority=yes", "need=Replace spreadsheets", "timeline=2027-02-01"]
# the leads marketing adds, the likeliest to travel first (hypothesis starts from the first)
NEW_LEADS = {"ready with BANT": [*READY, "persona=manager", *BANT],
             "ready executive": [*READY, "persona=executive", *BANT],
             "ready": [*READY, "persona=manager"], "bare": ["score=10"]}
LEAD_IDS = ["L-1", "L-2", "L-3", "L-4"]
# How far the clock moves before a sweep: a day (past the 4 business hours of
# `acknowledge`, unless a weekend or a holiday is in the way), past the 14
# days of `follow_up`, within a morning. Hypothesis draws the first most.
LATER = [dt.timedelta(days=1), dt.timedelta(days=15), dt.timedelta(hours=3), dt.timedelta(minutes=20)]


class EngineAgainstModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.home = Path(tempfile.mkdtemp(prefix="baton-model-"))
        self.db = self.home / "baton.db"
        self.model = Model()
        policy = self.home / "policy.yaml"
        shutil.copy(DEFAULT_POLICY, policy)
        self.ok(self.baton("jane", "init", "--policy", str(policy)))
        self.events = self.event_count()
        self.steps = 0
        self.settled = True  # False while a check runs: one that raised leaves it so

    def teardown(self) -> None:
        """The last verify of the run, unless a check already failed (its
        failure is the one to read, not a verify of the state it left)."""
        try:
            if self.settled:
                self.verified()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)

    # -- running Baton
    def baton(self, actor: str, *args: str) -> Result:
        now = self.model.now.isoformat()
        result = CliRunner().invoke(cli, ["--db", str(self.db), "--as", actor, "--now", now, *args])
        # a refusal exits; anything else raised is a crash, whatever the exit code
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    @staticmethod
    def ok(result: Result) -> Result:
        assert result.exit_code == 0, result.output
        return result

    def event_count(self) -> int:
        with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def judge(self, result: Result, predict: Any, *args: Any) -> None:
        """Run the model's prediction beside Baton's answer: refused both, or
        done both with the events the model expects."""
        self.settled = False
        try:
            written = predict(*args)
        except Refused:
            assert result.exit_code == 1, f"the model refuses it, Baton did it: {result.output}"
            assert "Traceback" not in result.output, result.output
            assert result.stderr.strip() and len(result.stderr.strip().splitlines()) == 1, result.stderr
            assert self.event_count() == self.events, "a refused command wrote an event"
            self.settled = True
            return
        assert result.exit_code == 0, f"the model allows it, Baton refused: {result.output}"
        for row in self.model.leads.values():  # how far the runs take leads (--hypothesis-show-statistics)
            event(f"a lead in {row.state}")
        count = self.event_count()
        assert count - self.events == written, (count - self.events, written, result.output)
        self.events = count
        self.settled = True

    # -- the commands
    @initialize(kinds=st.lists(st.sampled_from(list(NEW_LEADS)), min_size=1, max_size=len(LEAD_IDS) - 1))
    def some_leads(self, kinds: list[str]) -> None:
        """Marketing adds a few leads first (one id is left unknown for a while)."""
        for lead, kind in zip(LEAD_IDS, kinds):
            self.add("jane", lead, kind)

    @rule(data=st.data())
    def anyone_tries_anything(self, data: st.DataObject) -> None:
        """Any command, by anyone (mallory too), on any lead id (one maybe
        not added yet), with any trigger (close_deal too)."""
        command = data.draw(st.sampled_from(COMMANDS), label="command")
        actor = data.draw(st.sampled_from(PEOPLE), label="actor")
        if command == "rep away or back":
            rep = data.draw(st.sampled_from(["alice", "bob", "carol", "jane"]), label="rep")  # jane is no rep
            self.rep_away_or_back(actor, rep, data.draw(st.booleans(), label="away"))
            return
        if command == "sla sweep":
            self.sweep(actor, data.draw(st.sampled_from(LATER), label="later"))
            return
        lead = data.draw(st.sampled_from(LEAD_IDS), label="lead")
        if command == "lead add":
            self.add(actor, lead, data.draw(st.sampled_from(list(NEW_LEADS)), label="kind"))
        elif command == "lead set":
            name = data.draw(st.sampled_from(sorted(VALUES)), label="field")
            self.set_fields(actor, lead, [f"{name}={data.draw(st.sampled_from(VALUES[name]), label='value')}"])
        elif command == "lead advance":
            self.advance(actor, lead, data.draw(st.sampled_from(TRIGGERS), label="trigger"),
                         data.draw(st.booleans(), label="reason"))
        elif command == "lead attempt":
            self.attempt(actor, lead)
        else:
            self.forget(actor, lead)

    @precondition(lambda self: any(row.state not in FINAL for row in self.model.leads.values()))
    @rule(data=st.data(), moves=st.sampled_from([4, 3, 2, 1]))  # the first is drawn most: far
    def an_operator_works_a_lead(self, data: st.DataObject, moves: int) -> None:
        """Moves an operator would try, one after another on one lead: a
        trigger out of its state, by someone its `by` names (the guards and
        checklists still decide), maybe after filling in the checklists and a
        few contact attempts; maybe a
        rep marked away first, and time passing and a sweep after. Random
        triggers by random people rarely take a lead past SAL; these take
        some to the end."""
        leads = sorted(lead for lead, row in self.model.leads.items() if row.state not in FINAL)
        lead = data.draw(st.sampled_from(leads), label="lead")
        rep = data.draw(st.sampled_from([None, "alice", "carol", "bob"]), label="first, the manager marks away or back")
        if rep is not None:
            self.rep_away_or_back("sam", rep, rep not in self.model.away)
        for _ in range(moves):
            row = self.model.leads[lead]
            triggers = [t for t, move in MOVES.items() if row.state in move.sources]
            if not triggers:
                break
            trigger = data.draw(st.sampled_from(triggers), label="trigger")
            by = MOVES[trigger].by
            people = sorted({person for role in by if role in ROLES for person in ROLES[role]}
                            | ({row.owner} if "owner" in by and row.owner is not None else set()))
            actor = data.draw(st.sampled_from(people or PEOPLE), label="actor")
            if data.draw(st.booleans(), label="fill in both checklists first"):
                self.set_fields(actor, lead, [*READY, *BANT])
            for _ in range(data.draw(st.sampled_from([0, 2, 3, 1]), label="contact attempts first")):
                self.attempt(actor, lead)
            self.advance(actor, lead, trigger, data.draw(st.sampled_from([True, False]), label="reason"))
        later = data.draw(st.sampled_from([None, *LATER]), label="then, later")
        if later is not None:
            self.sweep("sam", later)

    # -- each command, run by Baton and by the model
    def add(self, actor: str, lead: str, kind: str) -> None:
        pairs = NEW_LEADS[kind]
        self.judge(self.baton(actor, "lead", "add", "--id", lead, *pairs), self.model.add, actor, lead, pairs)

    def set_fields(self, actor: str, lead: str, pairs: list[str]) -> None:
        self.judge(self.baton(actor, "lead", "set", lead, *pairs), self.model.set, actor, lead, pairs)

    def advance(self, actor: str, lead: str, trigger: str, reason: bool) -> None:
        args = ["reason=not a fit this year"] if reason else []
        self.judge(self.baton(actor, "lead", "advance", lead, trigger, *args),
                   self.model.advance, actor, lead, trigger, reason)

    def attempt(self, actor: str, lead: str) -> None:
        self.judge(self.baton(actor, "lead", "attempt", lead, "--channel", "call"), self.model.attempt, actor, lead)

    def forget(self, actor: str, lead: str) -> None:
        self.judge(self.baton(actor, "lead", "forget", lead, "--reason", "asked by email"),
                   self.model.forget, actor, lead)

    def rep_away_or_back(self, actor: str, rep: str, away: bool) -> None:
        if away:
            self.judge(self.baton(actor, "rep", "away", rep), self.model.rep_away, actor, rep)
        else:
            self.judge(self.baton(actor, "rep", "back", rep), self.model.rep_back, actor, rep)

    def sweep(self, actor: str, later: dt.timedelta) -> None:
        """Time moves on, then the clocks due by then are swept (by anyone: the
        sweep acts as Baton itself)."""
        self.model.now += later
        self.judge(self.baton(actor, "sla", "sweep"), self.model.sweep)

    # -- after every step
    @invariant()
    def the_log_verifies(self) -> None:
        """`audit verify` re-reads every policy text it judges by (a fifth of
        a second here), so the bounded run asks it every VERIFY_EVERY steps
        and at the end; what it proves of the chain and of each event's
        legality holds for every event before, as the log only grows."""
        self.steps += 1
        if self.steps % VERIFY_EVERY == 0:
            self.verified()

    def verified(self) -> None:
        self.settled = False
        report = json.loads(self.ok(self.baton("sam", "--json", "audit", "verify")).stdout)
        assert report["ok"] and report["problems"] == [], report
        assert report["events"] == self.events, report
        self.settled = True

    @invariant()
    def replay_table_and_model_agree(self) -> None:
        self.settled = False
        table = {row["id"]: row for row in map(json.loads, self.ok(self.baton("sam", "--json", "lead", "list"))
                                               .stdout.splitlines())}
        replay = {row["id"]: row for row in map(json.loads, self.ok(self.baton(
            "sam", "--json", "audit", "replay", "--as-of", self.model.now.isoformat())).stdout.splitlines())}
        expected_table, expected_replay = {}, {}
        for lead, row in self.model.leads.items():
            given = {name: value for name, value in row.fields.items() if value is not None}
            expected_table[lead] = {"state": row.state, "owner": row.owner, "attempts": row.attempts, "fields": given}
            expected_replay[lead] = {**expected_table[lead],
                                     "fields": {**given, **dict.fromkeys(row.erased, "[erased]")}}
        assert {lead: self.kept(row) for lead, row in table.items()} == expected_table
        assert {lead: self.kept(row) for lead, row in replay.items()} == expected_replay
        self.settled = True

    @staticmethod
    def kept(row: dict[str, Any]) -> dict[str, Any]:
        return {"state": row["state"], "owner": row["owner"], "attempts": row["attempts"], "fields": row["fields"]}


# One run is a fresh database and up to `stateful_step_count` steps, each of
# one or more commands followed by the checks, so this test takes fewer runs
# than the profile's max_examples: in CI 25 runs of up to 40 steps (about
# 25 s here); the long run a tenth of its examples (500), of up to 60 steps,
# with `audit verify` after every step.
PROFILE = settings.default
LONG = PROFILE.max_examples > 100
VERIFY_EVERY = 1 if LONG else 10
RUNS = settings(PROFILE, max_examples=PROFILE.max_examples // 10 if LONG else 25,
                stateful_step_count=60 if LONG else 40)


def test_the_engine_follows_the_reference_model() -> None:
    run_state_machine_as_test(EngineAgainstModel, settings=RUNS)
