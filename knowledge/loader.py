"""Load the knowledge base from the YAML files shipped inside the package."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.booking_schema import BookingData
from knowledge.care_schema import CareData
from knowledge.schema import Contacts, LifeSituation, Question, Service

M = TypeVar("M", bound=BaseModel)


class KnowledgeError(Exception):
    """The data files are invalid; `problems` lists every one, each prefixed by its file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Knowledge:
    """Everything the city says, indexed by id."""

    contacts: Contacts
    questions: dict[str, Question]
    services: dict[str, Service]
    situations: dict[str, LifeSituation]
    files: dict[str, str] = field(default_factory=dict)  # object key -> data file, for messages
    # booking.yaml, when present; each office's `schedules` filled from contacts.yaml where that office has them
    booking: BookingData | None = None
    # care.yaml, when present: complaint and thanks channels, honest answers to what has no card
    care: CareData | None = None

    def service_by_card(self, card: str) -> Service | None:
        """The service built from information card `card` (e.g. "41-11"), if any."""
        return next((s for s in self.services.values() if s.card == card), None)


def default_root() -> Traversable:
    """The `data` folder inside the installed package."""
    return resources.files("knowledge") / "data"


def _yaml_files(folder: Traversable) -> Iterator[Traversable]:
    if not folder.is_dir():
        return
    yield from sorted(
        (f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))), key=lambda f: f.name
    )


def _read(file: Traversable, problems: list[str]) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        problems.append(f"{file.name}: not valid YAML: {exc}")
        return None


def _validate(model: type[M], raw: Any, where: str, problems: list[str]) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top)"
            problems.append(f"{where}: {loc}: {err['msg']}")
        return None


def _collect(
    folder: Traversable, model: type[M], kind: str, problems: list[str], files: dict[str, str]
) -> dict[str, M]:
    """Each file holds one object, or (for questions) a list of them; ids must be unique."""
    out: dict[str, M] = {}
    for file in _yaml_files(folder):
        raw = _read(file, problems)
        items = raw if isinstance(raw, list) else [raw]
        for i, item in enumerate(items):
            where = f"{kind}/{file.name}" + (f"[{i}]" if isinstance(raw, list) else "")
            obj = _validate(model, item, where, problems)
            if obj is None:
                continue
            key: str = obj.__dict__["id"]  # every collected model has an id
            if key in out:
                problems.append(f"{where}: duplicate {kind} id '{key}' (also in {files[kind + ':' + key]})")
                continue
            out[key] = obj
            files[f"{kind}:{key}"] = where
    return out


def load_knowledge(root: Traversable | Path | None = None, *, strict: bool = True) -> Knowledge:
    """Load and validate all data files; raise KnowledgeError listing every problem."""
    base: Traversable = root if root is not None else default_root()
    problems: list[str] = []
    files: dict[str, str] = {}
    contacts_raw = _read(base / "contacts.yaml", problems)
    contacts = _validate(Contacts, contacts_raw, "contacts.yaml", problems)
    questions = _collect(base / "questions", Question, "questions", problems, files)
    services = _collect(base / "services", Service, "services", problems, files)
    situations = _collect(base / "situations", LifeSituation, "situations", problems, files)
    booking = _load_booking(base, contacts, problems)
    care_file = base / "care.yaml"
    care = (
        _validate(CareData, _read(care_file, problems), "care.yaml", problems)
        if care_file.is_file()
        else None
    )
    if contacts is None or (problems and strict):
        raise KnowledgeError(problems or ["contacts.yaml: missing"])
    return Knowledge(contacts, questions, services, situations, files, booking, care)


def _load_booking(base: Traversable, contacts: Contacts | None, problems: list[str]) -> BookingData | None:
    """booking.yaml (optional). An office whose hours contacts.yaml publishes gets them here, so the booking
    rules need only this object; `python -m knowledge check` reports hours given in both places."""
    file = base / "booking.yaml"
    if not file.is_file():
        return None
    data = _validate(BookingData, _read(file, problems), "booking.yaml", problems)
    if data is None or contacts is None:
        return data
    published = {o.id: o.schedules for o in contacts.offices if o.schedules}
    offices = [
        o.model_copy(update={"schedules": published[o.office]})
        if o.office in published and not o.schedules
        else o
        for o in data.offices
    ]
    return data.model_copy(update={"offices": offices})
