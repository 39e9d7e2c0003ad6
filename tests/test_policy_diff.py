"""`baton policy diff OLD NEW`: every change a head would agree to, one
sentence each with the old and new value, grouped by what it is about;
comments, key order, quoting and layout are never changes."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from conftest import DEFAULT_POLICY, Baton, json_lines, sign_off

# The default policy written another way: flow and block styles swapped, keys
# in another order, other comments, other quotes, lists whose order means
# nothing (`by`, members, working days, holidays) reordered.
REFORMATTED = """\
# Same agreement, tidied by someone else.
version: 1
policy: "default-handover"
initial: 'MQL'
timezone: "Europe/London"
roles: {sales_head: [sam], sales_manager: [sam], marketing_head: [hana], sales: [carol, alice, bob], marketing: [omar, jane]}
approvals: {required: [sales_head, marketing_head]}
erasure: {by: sales_manager}
business_hours: {end: '17:30', start: '09:00', days: [fri, thu, wed, tue, mon],
                 holidays: [2027-01-01, "2026-12-25", 2026-12-28]}
fields:
  timeline: {description: 'when they want to decide', type: date}
  need: text
  authority:
    description: can they sign, or do they lead the decision?
    type: boolean
  budget: {type: "number"}
  score: {default: 0, type: integer, description: 'activity and fit, 0 to 100'}
  next_steps:
    type: text
    description: what was agreed with them, if anything
  content: {type: text, description: 'what they read, watched or answered'}
  awareness: {type: choice, values: [solution, problem, product]}
  product: {description: "the product or service they are interested in", type: string}
  source:
    type: choice
    values: [content_download, event, paid_ad, referral, landing_page, webinar]
  persona: {values: [assistant, practitioner, manager, executive], type: choice}
  title: {type: string, description: "job title, like Head of HR"}
  company: {type: string}
  phone: {personal: true, type: phone}
  email: {personal: true, type: email}
  last_name: {type: string, personal: true}
  first_name: {personal: true, type: string}
states:
  recycled: {description: 'Back with marketing for nurturing, with a reason', owner: marketing}
  disqualified: {description: "Closed lost - not a fit now or later (no need, chose a competitor), with the reason",
                 final: true}
  won:
    description: Closed won
    final: true
  contacted: {owner: sales, description: First contact made - follow-ups are logged as attempts}
  accepted: {description: The assigned rep acknowledged the lead, owner: sales}
  SQL: {owner: sales, description: Sales qualified (BANT) - a rep is assigned on entry}
  SAL: {owner: sales, description: Sales accepted - handed over with the full checklist}
  MQL: {owner: marketing, description: Marketing qualified - the score reached the agreed threshold}
checklists:
  qualification: {timeline: timeline, need: need, authority: "authority==true", budget: (budget)}
  handover:
    awareness level: awareness
    product of interest: product
    persona: persona
    lead source: source
    contact details: "email  or  phone"
sla:
  - breach: {reassign: true, notify: [sales_manager, owner]}
    business: true
    within: "4h"
    state: SQL
    name: acknowledge
  - {name: follow_up, state: contacted, within: 14d,
     breach: {reason: "no response after follow-ups", fire: recycle, notify: [sales_manager, owner]}}
routing:
  rules:
    - {assign: [carol], when: "persona == \\"executive\\""}
    - {strategy: least_loaded, assign: [alice, bob]}
  notify: owner
  on: [SQL]
transitions:
  renurture:
    by: marketing
    to: MQL
    from: recycled
  recycle:
    when: [{say: make at least 3 contact attempts before recycling,
            expr: "actor == 'system' or state != 'contacted' or attempts >= 3"}]
    requires: reason
    by: [system, sales_manager, sales]
    to: recycled
    from: [contacted, accepted, SQL, SAL]
  disqualify: {requires: reason, by: [sales_manager, sales], to: disqualified, from: [contacted, accepted, SQL, SAL]}
  win: {by: [sales_manager, owner], to: won, from: contacted}
  contact: {to: contacted, from: accepted, by: [sales_manager, owner]}
  accept: {by: [sales_manager, owner], from: SQL, to: accepted}
  qualify:
    checklist: qualification
    by: [sales]
    to: SQL
    from: [SAL]
  hand_over: {checklist: handover, when: [{say: "the score must reach 60 before marketing hands a lead over",
              expr: score>=60}], by: marketing, to: SAL, from: MQL}
"""


def variant(tmp_path: Path, *edits: tuple[str, str], name: str = "new.yaml") -> Path:
    """The default policy with each (old, new) text replaced; each old text must
    appear exactly once, so an edit never silently misses."""
    text = DEFAULT_POLICY.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def run(baton: Baton, old: Path | str, new: Path | str, *flags: str) -> Result:
    return baton("policy", "diff", str(old), str(new), *flags)


def lines(baton: Baton, old: Path | str, new: Path | str) -> list[str]:
    result = run(baton, old, new)
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


ESCALATE = (
    "  renurture: {from: recycled, to: MQL, by: [marketing]}\n",
    "  renurture: {from: recycled, to: MQL, by: [marketing]}\n"
    "  escalate: {from: SQL, to: accepted, by: [sales_manager], when: score > 80, requires: [reason]}\n",
)
SCORE_45 = ("- expr: score >= 60", "- expr: score >= 45")


# -- nothing changed ----------------------------------------------------------------
def test_a_file_against_itself_has_no_changes(baton: Baton, policy_file: Path) -> None:
    assert lines(baton, policy_file, policy_file) == ["No changes: the two policies say the same thing."]


def test_reformatting_recommenting_reordering_and_requoting_are_not_changes(baton: Baton, tmp_path: Path) -> None:
    copy = tmp_path / "tidied.yaml"
    copy.write_text(REFORMATTED)
    assert lines(baton, DEFAULT_POLICY, copy) == ["No changes: the two policies say the same thing."]


def test_conditions_in_another_order_are_not_a_change(baton: Baton, tmp_path: Path) -> None:
    say = "        say: the score must reach 60 before marketing hands a lead over\n"
    old = variant(tmp_path, (say, say + "      - expr: score <= 100\n"), name="old.yaml")
    new = variant(tmp_path, ("      - expr: score >= 60\n", "      - expr: score <= 100\n      - expr: score >= 60\n"))
    assert lines(baton, old, new) == ["No changes: the two policies say the same thing."]


def test_the_same_time_in_other_units_is_not_a_change(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("within: 4h", "within: 240m"), ("within: 14d", 'within: " 14 d"'))
    assert lines(baton, DEFAULT_POLICY, new) == ["No changes: the two policies say the same thing."]


def test_diffing_two_files_needs_no_database(baton: Baton, policy_file: Path, db_path: Path) -> None:
    assert run(baton, policy_file, policy_file).exit_code == 0
    assert not db_path.exists()


# -- each kind of change ----------------------------------------------------------------
def test_policy_name_version_timezone_and_description(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, (
        "policy: default-handover\nversion: 1\ntimezone: Europe/London",
        "policy: acme-handover\nversion: 2\ndescription: Agreed in March\ntimezone: America/New_York",
    ))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Policy",
        "  policy name: default-handover became acme-handover",
        "  version: 1 became 2",
        "  timezone: Europe/London became America/New_York",
        '  description: none became "Agreed in March"',
        "4 changes.",
    ]


def test_a_transition_added(baton: Baton, tmp_path: Path) -> None:
    assert lines(baton, DEFAULT_POLICY, variant(tmp_path, ESCALATE)) == [
        "Transitions",
        "  escalate added: from SQL to accepted, by sales_manager, when score > 80, requires reason",
        "1 change.",
    ]


def test_a_transition_removed(baton: Baton, tmp_path: Path) -> None:
    assert lines(baton, variant(tmp_path, ESCALATE), DEFAULT_POLICY) == [
        "Transitions",
        "  escalate removed (was from SQL to accepted, by sales_manager, when score > 80, requires reason)",
        "1 change.",
    ]


def test_a_transitions_from_to_and_by(baton: Baton, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("win: {from: contacted, to: won, by: [owner, sales_manager]}", "win: {from: [contacted, accepted], to: won, by: [owner]}"),
        ("renurture: {from: recycled, to: MQL,", "renurture: {from: recycled, to: SAL,"),
    )
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Transitions",
        "  win: from contacted became contacted, accepted",
        "  win: by owner, sales_manager became owner",
        "  renurture: to MQL became SAL",
        "3 changes.",
    ]


def test_a_conditions_expression(baton: Baton, tmp_path: Path) -> None:
    assert lines(baton, DEFAULT_POLICY, variant(tmp_path, SCORE_45)) == [
        "Transitions", "  hand_over: when score >= 60 became score >= 45", "1 change.",
    ]


def test_a_conditions_say(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("say: the score must reach 60 before", "say: a score of 60 comes before"))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Transitions",
        '  hand_over: what people are told when score >= 60 does not hold: '
        '"the score must reach 60 before marketing hands a lead over" '
        'became "a score of 60 comes before marketing hands a lead over"',
        "1 change.",
    ]


def test_a_condition_added_and_removed(baton: Baton, tmp_path: Path) -> None:
    stricter = variant(tmp_path, ("checklist: qualification}", "checklist: qualification, when: budget >= 10000}"))
    assert lines(baton, DEFAULT_POLICY, stricter) == [
        "Transitions", "  qualify: now also needs budget >= 10000", "1 change.",
    ]
    assert lines(baton, stricter, DEFAULT_POLICY) == [
        "Transitions", "  qualify: no longer needs budget >= 10000", "1 change.",
    ]


def test_the_checklist_a_transition_uses_and_the_keys_it_requires(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("checklist: qualification}", "requires: [note]}"))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Transitions",
        "  qualify: checklist qualification became none",
        "  qualify: requires none became note",
        "2 changes.",
    ]


def test_checklist_items_added_removed_and_changed(baton: Baton, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("    lead source: source\n", "    lead source: source in ['webinar', 'referral']\n"),
        ("    persona: persona\n", ""),
        ("    timeline: timeline\n", "    timeline: timeline\n    company: company\n"),
    )
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Checklists",
        "  handover: lead source: rule source became source in ['webinar', 'referral']",
        "  handover: persona removed (was persona)",
        "  qualification: company added: company",
        "3 changes.",
    ]


def test_fields_added_and_removed(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, (
        '  next_steps: {type: text, description: "what was agreed with them, if anything"}\n',
        "  industry: {type: choice, values: [retail, finance], personal: true}\n",
    ))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Fields",
        "  industry added: choice of retail, finance, personal",
        "  next_steps removed (was text)",
        "2 changes.",
    ]


def test_a_fields_type_personal_default_and_description(baton: Baton, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("budget: {type: number}", "budget: {type: integer}"),
        ("company: {type: string}", "company: {type: string, personal: true}"),
        ("default: 0,", "default: 10,"),
        ('description: "job title, like Head of HR"', 'description: "job title"'),
    )
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Fields",
        "  company: is now personal data",
        '  title: description "job title, like Head of HR" became "job title"',
        "  score: default 0 became 10",
        "  budget: type number became integer",
        "4 changes.",
    ]


def test_a_choices_values_added_and_removed(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("paid_ad, event", "event, partner, trade_show"))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Fields",
        "  source: values partner, trade_show added",
        "  source: value paid_ad removed",
        "2 changes.",
    ]


def test_roles_and_their_members(baton: Baton, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("  sales_manager: [sam]\n", "  sales_manager: [sam]\n  sales_lead: [dana, eve]\n"),
        ("marketing: [jane, omar]", "marketing: [jane, priya]"),
    )
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Roles",
        "  marketing: priya joined",
        "  marketing: omar left",
        "  sales_lead added: dana, eve",
        "3 changes.",
    ]
    assert lines(baton, new, DEFAULT_POLICY)[-2:] == ["  sales_lead removed (was dana, eve)", "3 changes."]


def test_states_added_removed_owner_description_and_initial(baton: Baton, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("  won: {final: true, description: Closed won}\n",
         "  won: {final: true, description: Closed and signed}\n  lost: {final: true}\n"),
        ("  renurture:", "  lose: {from: contacted, to: lost, by: [owner]}\n  renurture:"),
        ("SAL: {owner: sales,", "SAL: {owner: marketing,"),
        ("initial: MQL", "initial: SAL"),
    )
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Transitions",
        "  lose added: from contacted to lost, by owner",
        "States",
        "  initial state: MQL became SAL",
        "  SAL: owner team sales became marketing",
        '  won: description "Closed won" became "Closed and signed"',
        "  lost added: final",
        "5 changes.",
    ]
    assert "  lost removed (was final)" in lines(baton, new, DEFAULT_POLICY)


def test_a_state_no_longer_final(baton: Baton, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("won: {final: true, description: Closed won}", "won: {owner: sales, description: Closed won}"),
        ("  renurture:", "  reopen: {from: won, to: contacted, by: [sales_manager]}\n  renurture:"),
    )
    assert lines(baton, DEFAULT_POLICY, new)[-4:] == [
        "States", "  won: owner team none became sales", "  won: is no longer final", "3 changes.",
    ]


def test_routing_on_and_each_rules_when_assign_and_strategy(baton: Baton, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("  on: SQL\n", "  on: [SQL, SAL]\n"),
        ("when: persona == 'executive'", "when: persona in ['executive', 'manager']"),
        ("assign: [carol]", "assign: [carol, bob]"),
        ("strategy: least_loaded", "strategy: round_robin"),
    )
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Routing",
        "  routing: on SQL became SQL, SAL",
        "  routing rule 1: when persona == 'executive' became persona in ['executive', 'manager']",
        "  routing rule 1: assign carol became carol, bob",
        "  routing rule 2: strategy least_loaded became round_robin",
        "4 changes.",
    ]


def test_routing_rules_added_and_removed(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("    - assign: [alice, bob]", "    - when: source == 'referral'\n      assign: [bob]\n"
                                                             "    - assign: [alice, bob]"))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Routing", "  routing rule 2 added: when source == 'referral', assign bob (round_robin)", "1 change.",
    ]
    assert lines(baton, new, DEFAULT_POLICY) == [
        "Routing", "  routing rule 2 removed (was when source == 'referral', assign bob (round_robin))", "1 change.",
    ]


def test_routing_rules_reordered(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, (
        "    - when: persona == 'executive'\n      assign: [carol]          # our senior rep takes the executives\n"
        "    - assign: [alice, bob]     # everyone else: whoever has fewer open leads\n      strategy: least_loaded\n",
        "    - assign: [alice, bob]\n      strategy: least_loaded\n"
        "    - when: persona == 'executive'\n      assign: [carol]\n",
    ))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Routing",
        "  routing rules: order 1) when persona == 'executive', assign carol (round_robin); "
        "2) any lead, assign alice, bob (least_loaded) became 1) any lead, assign alice, bob (least_loaded); "
        "2) when persona == 'executive', assign carol (round_robin)",
        "1 change.",
    ]


def test_routing_removed(baton: Baton, tmp_path: Path) -> None:
    routing = DEFAULT_POLICY.read_text().split("routing:\n", 1)[1].split("\n\n", 1)[0]
    new = variant(tmp_path, ("routing:\n" + routing + "\n", ""), ("reassign: true", "reassign: false"))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Routing",
        "  routing removed (was on SQL: when persona == 'executive', assign carol (round_robin); "
        "any lead, assign alice, bob (least_loaded))",
        "SLAs",
        "  acknowledge: no longer reassigns the lead on a breach",
        "2 changes.",
    ]


def test_sla_within_in_the_units_people_wrote(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("within: 4h", "within: 2h"), ("within: 14d", "within: 10d"))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "SLAs",
        "  acknowledge: within 4 business hours became 2 business hours",
        "  follow_up: within 14 days became 10 days",
        "2 changes.",
    ]


def test_sla_state_business_notify_and_reassign(baton: Baton, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("    state: SQL\n    within: 4h\n    business: true\n", "    state: accepted\n    within: 4h\n"),
        ("      notify: [owner, sales_manager]\n      reassign: true", "      notify: [sales_manager]"),
    )
    assert lines(baton, DEFAULT_POLICY, new) == [
        "SLAs",
        "  acknowledge: runs in SQL became accepted",
        "  acknowledge: now counts every hour, not only business hours",
        "  acknowledge: on a breach notifies owner, sales_manager became sales_manager",
        "  acknowledge: no longer reassigns the lead on a breach",
        "4 changes.",
    ]


def test_sla_fire_and_reason(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("      fire: recycle\n      reason: no response after follow-ups\n", ""))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "SLAs",
        "  follow_up: on a breach fires recycle became none",
        '  follow_up: breach reason "no response after follow-ups" became none',
        "2 changes.",
    ]


def test_slas_added_and_removed(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("sla:\n", "sla:\n  - name: first_touch\n    state: accepted\n    within: 1d\n"
                                        "    business: true\n    breach: {notify: [sales_manager]}\n"))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "SLAs",
        "  first_touch added: in accepted within 1 business day, on a breach notify sales_manager",
        "1 change.",
    ]
    assert lines(baton, new, DEFAULT_POLICY)[1] == (
        "  first_touch removed (was in accepted within 1 business day, on a breach notify sales_manager)"
    )


def test_business_hours_days_times_holidays_and_country(baton: Baton, tmp_path: Path) -> None:
    new = variant(
        tmp_path,
        ("days: [mon, tue, wed, thu, fri]", "days: [mon, tue, wed, thu]"),
        ('start: "09:00"', 'start: "08:30"'),
        ('end: "17:30"', 'end: "18:00"'),
        ("holidays: [2026-12-25, 2026-12-28, 2027-01-01]", "holidays: {country: GB-ENG, dates: [2026-12-24, 2026-12-25]}"),
    )
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Business hours",
        "  days: mon, tue, wed, thu, fri became mon, tue, wed, thu",
        "  start: 09:00 became 08:30",
        "  end: 17:30 became 18:00",
        "  holidays: 2026-12-24 added",
        "  holidays: 2026-12-28 removed",
        "  holidays: 2027-01-01 removed",
        "  holiday country: none became GB-ENG",
        "7 changes.",
    ]


NOTIFY = (
    "sla:\n",
    "notify:\n  webhook: https://hooks.example.com/baton\n  email:\n    server: localhost:25\n"
    "    from: baton@acme.example\n    to: {sam: sam@acme.example}\nsla:\n",
)


def test_notification_channels_added(baton: Baton, tmp_path: Path) -> None:
    assert lines(baton, DEFAULT_POLICY, variant(tmp_path, NOTIFY)) == [
        "Notifications",
        "  webhook added: https://hooks.example.com/baton",
        "  email server added: localhost:25",
        "  email from added: baton@acme.example",
        "  email to sam added: sam@acme.example",
        "4 changes.",
    ]


def test_notification_settings_changed_and_removed(baton: Baton, tmp_path: Path) -> None:
    old = variant(tmp_path, NOTIFY, name="old.yaml")
    new = variant(tmp_path, (NOTIFY[0], NOTIFY[1].replace("  webhook: https://hooks.example.com/baton\n", "")
                             .replace("{sam: sam@acme.example}", "{sam: sam@sales.example, alice: alice@acme.example}")))
    assert lines(baton, old, new) == [
        "Notifications",
        "  email to sam: sam@acme.example became sam@sales.example",
        "  email to alice added: alice@acme.example",
        "  webhook removed (was https://hooks.example.com/baton)",
        "3 changes.",
    ]


def test_approvals_required_roles(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("required: [marketing_head, sales_head]",
                             "required: [marketing_head, sales_head, marketing, sales]"))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Approvals",
        "  approvals: marketing must now approve a new version",
        "  approvals: sales must now approve a new version",
        "2 changes.",
    ]
    assert lines(baton, new, DEFAULT_POLICY)[1] == "  approvals: marketing no longer has to approve a new version"


ERASURE = ("erasure:\n  by: [sales_manager]", "erasure:\n  by: [sales_manager, marketing_head]")
# The keys a head changes to say who is acting, when a change is dated and who witnesses the log.
TRUST = ("erasure:\n  by: [sales_manager]\n",
         "erasure:\n  by: [sales_manager]\n"
         "identity: login\nlogins: {jsmith: jane, obrown: omar}\n"
         "clock: {now_on_writes: refuse}\n"
         "audit: {witness: daily}\nnotify: {webhook: 'http://127.0.0.1:9000/baton'}\n")


def test_erasure_roles_that_may_erase(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ERASURE)
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Erasure", "  erasure: marketing_head may now erase a person's data on request", "1 change."]
    assert lines(baton, new, DEFAULT_POLICY)[1] == "  erasure: marketing_head may no longer erase a person's data"
    assert json_lines(run(baton, DEFAULT_POLICY, new, "--json")) == [
        {"kind": "erasure", "name": "erasure", "attribute": "eraser", "change": "added", "old": None,
         "new": "marketing_head", "text": "erasure: marketing_head may now erase a person's data on request"}]


def test_identity_logins_clock_and_witness_are_said_in_plain_words(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, TRUST)
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Notifications", "  webhook added: http://127.0.0.1:9000/baton",
        "Who is acting",
        "  identity: who is acting is now the login name (identity: login, mapped through logins); "
        "--as and BATON_ACTOR are refused",
        "Logins", "  logins: login jsmith now acts as jane", "  logins: login obrown now acts as omar",
        "Dating changes",
        "  now_on_writes: a change may no longer give its own time with --now (refuse); it is dated when made",
        "Witness",
        "  witness: the log's head is now sent out once a day through the notify channels (witness: daily)",
        "6 changes.",
    ]
    assert lines(baton, new, DEFAULT_POLICY)[2:9] == [
        "Who is acting",
        "  identity: who is acting is no longer the login name (login); --as or BATON_ACTOR says it again",
        "Logins", "  logins: login jsmith no longer acts as jane (it acts as jsmith)",
        "  logins: login obrown no longer acts as omar (it acts as obrown)",
        "Dating changes",
        "  now_on_writes: a change may give its own time with --now again (allow, was refuse); "
        "one far from the clock records when it was really made",
    ]


def test_a_login_mapped_to_someone_else_is_one_change(baton: Baton, tmp_path: Path) -> None:
    old = variant(tmp_path, TRUST, name="old.yaml")
    new = variant(tmp_path, (TRUST[0], TRUST[1].replace("jsmith: jane", "jsmith: hana")))
    assert lines(baton, old, new) == ["Logins", "  logins: login jsmith acted as jane, now acts as hana", "1 change."]
    assert json_lines(run(baton, old, new, "--json")) == [
        {"kind": "logins", "name": "jsmith", "attribute": "", "change": "changed", "old": "jane", "new": "hana",
         "text": "logins: login jsmith acted as jane, now acts as hana"}]


def test_json_of_identity_clock_and_witness_keeps_the_values_as_written(baton: Baton, tmp_path: Path) -> None:
    changes = json_lines(run(baton, DEFAULT_POLICY, variant(tmp_path, TRUST), "--json"))
    kept = {c["kind"]: (c["name"], c["change"], c["old"], c["new"]) for c in changes if c["kind"] != "logins"}
    assert kept == {
        "notify": ("webhook", "added", None, "http://127.0.0.1:9000/baton"),
        "identity": ("identity", "changed", None, "login"),
        "clock": ("now_on_writes", "changed", "allow", "refuse"),
        "audit": ("witness", "changed", None, "daily"),
    }


def test_groups_come_in_a_fixed_order(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("required: [marketing_head, sales_head]", "required: [marketing_head, sales_head, sales]"),
                  ("marketing: [jane, omar]", "marketing: [jane]"), SCORE_45, ("within: 14d", "within: 10d"))
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Transitions", "  hand_over: when score >= 60 became score >= 45",
        "Roles", "  marketing: omar left",
        "SLAs", "  follow_up: within 14 days became 10 days",
        "Approvals", "  approvals: sales must now approve a new version",
        "4 changes.",
    ]


# -- output and exit codes ----------------------------------------------------------------
def test_json_is_one_object_a_change(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, SCORE_45, ("marketing: [jane, omar]", "marketing: [jane]"), ("within: 4h", "within: 2h"),
                  ("days: [mon, tue, wed, thu, fri]", "days: [mon, tue, wed, thu]"))
    assert json_lines(run(baton, DEFAULT_POLICY, new, "--json")) == [
        {"kind": "transition", "name": "hand_over", "attribute": "when", "change": "changed",
         "old": "score >= 60", "new": "score >= 45", "text": "hand_over: when score >= 60 became score >= 45"},
        {"kind": "role", "name": "marketing", "attribute": "member", "change": "removed",
         "old": "omar", "new": None, "text": "marketing: omar left"},
        {"kind": "sla", "name": "acknowledge", "attribute": "within", "change": "changed", "old": "4h", "new": "2h",
         "text": "acknowledge: within 4 business hours became 2 business hours"},
        {"kind": "business_hours", "name": "days", "attribute": "", "change": "changed",
         "old": ["mon", "tue", "wed", "thu", "fri"], "new": ["mon", "tue", "wed", "thu"],
         "text": "days: mon, tue, wed, thu, fri became mon, tue, wed, thu"},
    ]


def test_json_of_an_added_transition_holds_its_parts(baton: Baton, tmp_path: Path) -> None:
    [change] = json_lines(run(baton, DEFAULT_POLICY, variant(tmp_path, ESCALATE), "--json"))
    assert (change["change"], change["old"]) == ("added", None)
    assert change["new"] == {"from": ["SQL"], "to": "accepted", "by": ["sales_manager"],
                             "when": [{"expr": "score > 80", "say": None}], "checklist": [],
                             "requires": ["reason"], "description": None}


def test_json_prints_nothing_when_nothing_changed(baton: Baton, policy_file: Path) -> None:
    result = run(baton, policy_file, policy_file, "--json")
    assert (result.exit_code, result.stdout) == (0, "")


def test_exit_code_is_zero_whether_or_not_anything_changed(baton: Baton, tmp_path: Path) -> None:
    assert run(baton, DEFAULT_POLICY, variant(tmp_path, SCORE_45)).exit_code == 0
    assert run(baton, DEFAULT_POLICY, DEFAULT_POLICY).exit_code == 0


def test_exit_code_flag_gives_one_when_something_changed(baton: Baton, tmp_path: Path) -> None:
    changed = run(baton, DEFAULT_POLICY, variant(tmp_path, SCORE_45), "--exit-code")
    assert (changed.exit_code, changed.stdout.splitlines()[-1]) == (1, "1 change.")
    assert run(baton, DEFAULT_POLICY, DEFAULT_POLICY, "--exit-code").exit_code == 0


# -- stored versions and bad input ----------------------------------------------------------
def test_stored_version_against_a_file(baton: Baton, db: Path, tmp_path: Path) -> None:
    new = variant(tmp_path, SCORE_45)
    expected = ["Transitions", "  hand_over: when score >= 60 became score >= 45", "1 change."]
    assert lines(baton, "@1", new) == expected
    assert lines(baton, "@active", new) == expected


def test_two_stored_versions(baton: Baton, db: Path, tmp_path: Path) -> None:
    v2 = variant(tmp_path, ("version: 1\n", "version: 2\n"), SCORE_45)
    sign_off(baton, v2)
    assert baton("policy", "apply", str(v2)).exit_code == 0
    assert lines(baton, "@1", "@active") == [
        "Policy", "  version: 1 became 2",
        "Transitions", "  hand_over: when score >= 60 became score >= 45",
        "2 changes.",
    ]
    assert lines(baton, "@2", v2) == ["No changes: the two policies say the same thing."]


def test_an_unknown_stored_version_names_those_there_are(baton: Baton, db: Path, policy_file: Path) -> None:
    result = run(baton, "@9", policy_file)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"Error: {db} has no policy version 9 (versions: 1)\n"


def test_a_malformed_version_is_one_plain_line(baton: Baton, policy_file: Path) -> None:
    result = run(baton, policy_file, "@latest")
    assert (result.exit_code, result.stdout) == (2, "")  # the wrong shape of argument: usage, issue 12
    assert result.stderr == (
        "Error: '@latest' is not a stored policy version; write @N for version N (like @1), "
        "or @active for the one in force\n"
    )


def test_a_broken_file_gives_the_located_errors_of_policy_check(baton: Baton, tmp_path: Path) -> None:
    broken = variant(tmp_path, ("qualify: {from: SAL, to: SQL,", "qualify: {from: SAL, to: SQl,"))
    result = run(baton, DEFAULT_POLICY, broken)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == baton("policy", "check", str(broken)).stderr
    assert result.stderr.startswith(f"{broken}:")


def test_both_broken_files_are_reported(baton: Baton, tmp_path: Path) -> None:
    old = variant(tmp_path, ("initial: MQL", "initial: MQl"), name="old.yaml")
    new = variant(tmp_path, ("initial: MQL", "initial: SQl"))
    result = run(baton, old, new)
    assert result.exit_code == 1
    assert result.stderr == baton("policy", "check", str(old)).stderr + baton("policy", "check", str(new)).stderr


# -- the HTTP API: token admins and intakes --------------------------------------------
INTAKES = """
intake:
  web_form:
    map: {E-mail: email, Company name: company, submit: }
    null: [N/A]
"""


def test_api_admins_added_and_removed(baton: Baton, tmp_path: Path) -> None:
    old = variant(tmp_path, ("erasure:\n", "api: {admins: [sales_manager, marketing_head]}\nerasure:\n"), name="old.yaml")
    new = variant(tmp_path, ("erasure:\n", "api: {admins: [sales_manager, sales_head]}\nerasure:\n"))
    assert lines(baton, old, new) == [
        "API",
        "  sales_head may now create and revoke API tokens",
        "  marketing_head may no longer create and revoke API tokens",
        "2 changes.",
    ]


def test_api_admins_written_as_the_default_are_no_change(baton: Baton, tmp_path: Path) -> None:
    new = variant(tmp_path, ("erasure:\n", "api: {admins: [sales_manager]}\nerasure:\n"))
    assert lines(baton, DEFAULT_POLICY, new) == ["No changes: the two policies say the same thing."]


def test_an_intake_added_and_removed(baton: Baton, tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(DEFAULT_POLICY.read_text() + INTAKES)
    assert lines(baton, DEFAULT_POLICY, new) == [
        "Intakes",
        "  web_form added: 'E-mail' fills email, 'Company name' fills company, 'submit' is left out, "
        'no value: "N/A", other keys left out',
        "1 change.",
    ]
    assert lines(baton, new, DEFAULT_POLICY)[1].startswith("  web_form removed (was 'E-mail' fills email, ")


def test_an_intakes_keys_null_tokens_id_and_extra(baton: Baton, tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(DEFAULT_POLICY.read_text() + INTAKES)
    new = tmp_path / "new.yaml"
    new.write_text(DEFAULT_POLICY.read_text() + INTAKES.replace("E-mail: email, Company name: company",
                                                                "E-mail: email, Company name: title, Phone: phone")
                   .replace("submit: }", "}\n    id: form_id\n    extra: error").replace("[N/A]", '["-"]'))
    assert lines(baton, old, new) == [
        "Intakes",
        "  web_form: posted key 'Company name' now fills title (it fills company before)",
        "  web_form: posted key 'Phone' now fills phone",
        "  web_form: posted key 'form_id' now gives the lead id",
        "  web_form: posted key 'submit' is no longer mapped (it was left out)",
        '  web_form: a posted "-" now means no value',
        '  web_form: a posted "N/A" no longer means no value',
        "  web_form: posted keys that fill no field are now refused (they were left out)",
        "7 changes.",
    ]
