"""What the world says around a turn's answer, beside the rooms: a turn context reads its state at the start of
every turn (`refresh`, cheaply: a cache) and may add to the replies once they are made (`around`), e.g. the line
an air-raid alert puts before every answer about the offices' hours (dialogs/alerts/banner.py). The engine runs
the contexts it is given and names none."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from dialogs.messages import Reply

if TYPE_CHECKING:
    from dialogs.rooms import Turn
    from storage.uow import UnitOfWork


class TurnContext(Protocol):
    async def refresh(self, uow: UnitOfWork) -> None:
        """Read this turn's state (at the start of the turn)."""
        ...

    def around(self, turn: Turn, replies: list[Reply]) -> list[Reply]:
        """The replies, perhaps with something added."""
        ...
