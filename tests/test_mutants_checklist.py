"""The personal checklist: the cases the mutation benchmark (docs/MUTATION.md) found untested — every field of an
item carried from its source document, a service's «certain» flag, a whole situation's list pinned, the documents
a service's card brings, and `worth_asking` with a custom builder, «не знаю» offered or not, and a later branch."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from dialogs.checklist import Checklist, build_checklist, needed_so_far, worth_asking
from dialogs.scenario import UNKNOWN, Branch, Scenario, Step, StepKind
from knowledge import Knowledge
from knowledge.schema import DocumentRequirement, Form, SituationDocument


def test_every_item_carries_its_documents_fields(kb: Knowledge) -> None:
    """form, optional, details, when and note come from the document, whatever the answers."""
    seen = {"form": 0, "optional": 0, "details": 0, "when": 0, "note": 0}
    for situation in kb.situations.values():
        sources: dict[tuple[str, str], SituationDocument | DocumentRequirement]
        sources = {(d.id, d.title): d for d in situation.documents}
        for ref in situation.services:
            for d in kb.services[ref.service].documents:
                sources.setdefault((d.id, d.title), d)
        for item in build_checklist(kb, situation, {}).documents:
            doc = sources[(item.id, item.title)]
            assert (item.form, item.optional, item.details, item.when, item.note) == (
                doc.form, doc.optional, doc.details, doc.when, doc.note,
            )  # fmt: skip
            seen["form"] += item.form != Form.UNSPECIFIED
            seen["optional"] += item.optional
            seen["details"] += item.details is not None
            seen["when"] += item.when is not None
            seen["note"] += item.note is not None
    assert all(seen.values()), seen  # the data has each kind, so each field is really compared


def view(
    checklist: Checklist,
) -> tuple[list[tuple[str, bool]], list[tuple[str, tuple[str, ...], str | None]]]:
    return (
        [(s.id, certain) for s, certain in checklist.services],
        [(d.id, d.services, d.condition) for d in checklist.documents],
    )


DEATH, FUNERAL = "drs-death-registration", "drs-funeral-assistance"
PENSION = "якщо людина отримувала пенсію"


def test_the_loss_of_a_relative_for_each_answer(kb: Knowledge) -> None:
    situation = kb.situations["loss-of-relative"]
    base = [("death-document", (DEATH,), None), ("applicant-passport", (DEATH, FUNERAL), None),
            ("deceased-documents", (DEATH,), "у разі наявності")]  # fmt: skip
    undecided = [
        *base,
        ("funeral-application", (FUNERAL,), PENSION),
        ("funeral-death-extract", (FUNERAL,), PENSION),
        ("bank-account", (FUNERAL,), PENSION),
        ("idp-certificate", (FUNERAL,), "якщо ви ВПО"),
    ]
    assert view(build_checklist(kb, situation, {})) == ([(DEATH, True), (FUNERAL, False)], undecided)
    assert view(build_checklist(kb, situation, {"sa_loss_pensioner": UNKNOWN})) == (
        [(DEATH, True), (FUNERAL, False)],
        undecided,
    )
    decided = [*base[:3], *((i, s, None) for i, s, _ in undecided[3:6]), undecided[6]]
    assert view(build_checklist(kb, situation, {"sa_loss_pensioner": "yes"})) == (
        [(DEATH, True), (FUNERAL, True)],
        decided,
    )
    no = [(i, (DEATH,), c) for i, _, c in base]
    assert view(build_checklist(kb, situation, {"sa_loss_pensioner": "no"})) == ([(DEATH, True)], no)


def test_a_service_no_situation_document_names_brings_its_cards_list(kb: Knowledge) -> None:
    found = 0
    for situation in kb.situations.values():
        curated = {name for d in situation.documents for name in d.services}
        checklist = build_checklist(kb, situation, {})
        titles = {d.title.casefold() for d in situation.documents}
        for service, _ in checklist.services:
            if service.id in curated:
                continue
            for doc in service.documents:
                if doc.when is None and doc.title.casefold() not in titles:
                    titles.add(doc.title.casefold())
                    (item,) = [d for d in checklist.documents if d.title == doc.title]
                    assert item.services == (service.id,) and item.id == doc.id
                    found += 1
    assert found > 10


# worth_asking with a builder of its own.


class Built:
    """A stand-in checklist whose signature is what the builder says."""

    def __init__(self, signature: object) -> None:
        self._signature = signature

    def signature(self) -> object:
        return self._signature


def setup(kb: Knowledge, allow_unknown: bool) -> tuple[Any, Scenario, Step]:
    question = kb.questions["sa_loss_pensioner"].model_copy(update={"allow_unknown": allow_unknown})
    fake_kb = SimpleNamespace(questions={question.id: question})
    step = Step(id="ask", kind=StepKind.QUESTION, question=question.id, next="list")
    scenario = Scenario(id="sc", situation="loss-of-relative", start="ask",
                        steps=[step, Step(id="list", kind=StepKind.CHECKLIST)])  # fmt: skip
    return fake_kb, scenario, step


def test_a_custom_builder_is_asked_with_each_answer_in_turn(kb: Knowledge) -> None:
    fake_kb, scenario, step = setup(kb, allow_unknown=True)
    situation = kb.situations["loss-of-relative"]
    asked: list[dict[str, str]] = []

    def only_unknown_differs(answers: dict[str, str]) -> Checklist:
        asked.append(answers)
        return Built(answers["sa_loss_pensioner"] == UNKNOWN)  # type: ignore[return-value]

    assert worth_asking(fake_kb, situation, scenario, step, {"idp": "no"}, only_unknown_differs)
    assert asked == [{"idp": "no", "sa_loss_pensioner": v} for v in ("yes", "no", UNKNOWN)]
    fake_kb, scenario, step = setup(kb, allow_unknown=False)  # no «не знаю»: the two answers are alike
    asked.clear()
    assert not worth_asking(fake_kb, situation, scenario, step, {}, only_unknown_differs)
    assert [a["sa_loss_pensioner"] for a in asked] == ["yes", "no"]


def test_the_first_difference_settles_it(kb: Knowledge) -> None:
    fake_kb, scenario, step = setup(kb, allow_unknown=False)
    situation = kb.situations["loss-of-relative"]
    asked: list[str] = []

    def each_differs(answers: dict[str, str]) -> Checklist:
        asked.append(answers["sa_loss_pensioner"])
        return Built(answers["sa_loss_pensioner"])  # type: ignore[return-value]

    assert worth_asking(fake_kb, situation, scenario, step, {}, each_differs) and asked == ["yes", "no"]


def test_a_question_a_later_branch_needs_is_asked_without_building(kb: Knowledge) -> None:
    fake_kb, _, step = setup(kb, allow_unknown=True)
    branchy = Step(id="later", kind=StepKind.INFO, next=[
        Branch.model_validate({"if": {"sa_loss_pensioner": ["yes"]}, "goto": "list"}),
        Branch(goto="list"),
    ])  # fmt: skip
    scenario = Scenario(id="sc", situation="loss-of-relative", start="ask",
                        steps=[step, branchy, Step(id="list", kind=StepKind.CHECKLIST)])  # fmt: skip

    def never(_: dict[str, str]) -> Checklist:
        raise AssertionError("no checklist needed")

    assert worth_asking(fake_kb, kb.situations["loss-of-relative"], scenario, step, {}, never)


def test_the_real_builder_is_used_without_a_custom_one(kb: Knowledge) -> None:
    fake_kb, scenario, step = setup(kb, allow_unknown=False)
    situation = kb.situations["loss-of-relative"]
    fake_kb.services = kb.services
    assert worth_asking(fake_kb, situation, scenario, step, {})  # «yes» adds the funeral assistance
    assert worth_asking(
        kb, situation, scenario, Step(id="i", kind=StepKind.INFO, next="list"), {}
    )  # no question


def test_a_document_of_a_service_ruled_out_skips_only_itself(kb: Knowledge) -> None:
    situation = kb.situations["birth"]
    ids = [d.id for d in build_checklist(kb, situation, {"sa_birth_assistance": "no"}).documents]
    assert "birth-aid-application" not in ids  # the birth assistance is ruled out: its application too
    assert "second-parent-residence-consent" in ids  # a later document of another service still counts


def test_what_is_needed_so_far_is_only_what_is_certain(kb: Knowledge) -> None:
    """`needed_so_far`: documents of services that certainly apply, on no undecided condition, not optional."""
    lost = kb.situations["lost-documents"]
    stolen = {"sa_lost_passport": "yes", "sa_lost_stolen": "yes"}
    checklist = build_checklist(kb, lost, stolen)
    needed = needed_so_far(checklist, stolen)
    titles = {d.title for d in needed}
    assert any("ЄРДР" in t for t in titles)  # stolen: the police extract, certainly
    assert needed and all(not d.optional and d.condition is None for d in needed)
    certain = {s.id for s, sure in checklist.services if sure}
    assert all(set(d.services) <= certain for d in needed)
    assert len(needed) < len(checklist.documents)  # the certificates' documents wait for their question
    unsure = needed_so_far(build_checklist(kb, lost, {}), {})
    assert not any("ЄРДР" in d.title for d in unsure)  # nothing said: not the police extract
