"""The verify room: a citizen's phone number proven theirs, once, before an office booking, a callback or a home
visit (the booking room asks through `dialogs.events.PhoneCheck`; bot/app.py lends it).

- Telegram: the citizen shares their contact with the «📱 Надіслати мій номер» button; the handler passes its
  number only when the contact is the sender's own (handlers/telegram/routers.py). Viber: the share-phone button.
- Web: the citizen types a Ukrainian mobile number and gets a 6-digit code by SMS (`SmsGateway`; rules.py: 5
  minutes, 3 wrong entries, a new code after 60 s, 5 codes a number a day, a cap per client address an hour).
  The code is kept only as a keyed digest; every step is `personal`, so what the citizen types here is never
  logged. Without an SMS gateway (the development gateway refused in production) the citizen is offered the
  one-time link to continue in Telegram or Viber.

Once verified, the payload the asking room gave (`then`) is pressed for the citizen in the same turn."""

from __future__ import annotations

from dataclasses import dataclass

from dialogs import texts as common
from dialogs.messages import Button, Reply
from dialogs.outcome import Kind
from dialogs.payloads import Action, pack
from dialogs.rooms import QuietRoom, RoomState, Row, Turn
from dialogs.typed import masked_phone as masked
from dialogs.typed import read_phone
from dialogs.verify import rules, texts
from dialogs.verify.sms import SmsGateway
from knowledge.search import SearchHit
from knowledge.understand import Intent
from storage.codes import EXPIRED, FAILED, USED
from storage.models import DialogState
from storage.people import digits

NAME = "verify"
PREFIX = "pv"  # pv:r resend, pv:n another number, pv:x give up
PASS_THROUGH = {"меню", "/menu", "/start", "/forget", "/help", "головне меню", "почати"}
MENU: Row = (Button(common.MENU, pack(Action.MENU)),)


@dataclass
class Asked:
    """Where the citizen goes once verified: a payload of the asking room (e.g. «q:s:<service>»)."""

    then: str = ""


STATE = RoomState(NAME, Asked)


def _b(text: str, *args: str) -> Button:
    return Button(text, pack(PREFIX, *args))


CANCEL_ROW: Row = (_b(texts.CANCEL, "x"),)
CODE_ROWS: tuple[Row, ...] = ((_b(texts.RESEND, "r"), _b(texts.OTHER_NUMBER, "n")), CANCEL_ROW)


class VerifyRoom(QuietRoom):
    """Proves a citizen's phone number (implements dialogs.events.PhoneCheck)."""

    prefix = PREFIX
    name = NAME
    holds = False
    intents: frozenset[Intent] = frozenset()

    def __init__(
        self,
        sms: SmsGateway | None,
        *,
        transfer_links: tuple[tuple[str, str], ...] = (),
        per_address: int = rules.PER_ADDRESS,
    ) -> None:
        self.sms = sms  # None: SMS verification is unavailable (development gateway refused in production)
        self.links = transfer_links  # (messenger, «continue there» link with {token}): storage/transfer.py
        self.per_address = per_address

    def personal(self, state: DialogState) -> bool:
        return state.scenario == NAME  # a number or a code: never logged

    async def intent(self, turn: Turn, intent: Intent, hit: SearchHit | None) -> list[Reply]:
        return []  # it declares none

    # --- PhoneCheck -------------------------------------------------------------------------------------

    async def start(self, turn: Turn, then: str) -> list[Reply]:
        if await turn.uow.people.verified(turn.user) is not None:
            turn.then = then
            return []
        state = turn.state
        if turn.user.channel != "web":
            self._enter(state, then, "contact")
            return [Reply(f"{texts.WHY}\n\n{texts.ASK_CONTACT}", (CANCEL_ROW,), ask_contact=True)]
        if self.sms is None:
            return await self._elsewhere(turn, f"{texts.WHY}\n\n{texts.WEB_UNAVAILABLE}")
        self._enter(state, then, "phone")
        return [Reply(f"{texts.WHY}\n\n{texts.ASK_MOBILE}", (CANCEL_ROW,))]

    # --- the citizen's presses and words ----------------------------------------------------------------

    async def button(self, turn: Turn, args: tuple[str, ...]) -> list[Reply]:
        state = turn.state
        verb = args[0] if args else ""
        if state.scenario != NAME:
            return [Reply(texts.STALE, (MENU,))]
        if verb == "x":
            return await self._out(turn)
        if verb == "r" and state.step == "code":
            return await self._resend(turn)
        if verb == "n" and state.step == "code":
            state.step = "phone"
            return [Reply(texts.ASK_MOBILE, (CANCEL_ROW,))]
        return [Reply(texts.STALE), *self._again(turn)]

    async def text(self, turn: Turn, text: str) -> list[Reply] | None:
        state = turn.state
        if state.scenario != NAME:
            return None
        said = " ".join(text.casefold().split()).strip(" .!")
        if said in PASS_THROUGH:
            await self._drop_numbers(turn)
            STATE.leave(state)
            return None  # «меню», /start, /forget work at every step
        if rules.wants_out(text):
            return await self._out(turn)
        if state.step == "contact":
            return await self._contact(turn)
        if state.step == "phone":
            phone = read_phone(text, mobile_only=True)
            if phone is None:
                turn.note(Kind.REASK, "verify:phone")
                return [Reply(texts.BAD_MOBILE, (CANCEL_ROW,))]
            return await self._send(turn, digits(phone))
        if rules.wants_other_number(text):
            state.step = "phone"
            return [Reply(texts.ASK_MOBILE, (CANCEL_ROW,))]
        code = rules.read_code(text)
        if code is not None:
            return await self._check(turn, code)
        if rules.wants_resend(text):
            return await self._resend(turn)
        turn.note(Kind.REASK, "verify:code")
        return [Reply(texts.NOT_CODE, CODE_ROWS)]

    # --- messengers: the channel's own «share my number» ------------------------------------------------

    async def _contact(self, turn: Turn) -> list[Reply]:
        message = turn.message
        if not message.contact_shared:
            turn.note(Kind.REASK, "verify:contact")
            return [Reply(texts.TYPED, (CANCEL_ROW,), ask_contact=True)]
        if not message.phone:  # someone else's card: Telegram's handler passes no number for it
            turn.note(Kind.REASK, "verify:contact")
            return [Reply(texts.NOT_OWN, (CANCEL_ROW,), ask_contact=True)]
        how = "telegram" if turn.user.channel == "telegram" else "viber"
        found = await turn.uow.people.verify(turn.user, message.phone, how)
        return self._verified(turn, found.phone)

    # --- web: a code by SMS ------------------------------------------------------------------------------

    async def _send(self, turn: Turn, phone: str) -> list[Reply]:
        """A new code to `phone` (digits), within the pause, the daily and the per-address caps."""
        uow, now, state = turn.uow, turn.now, turn.state
        if self.sms is None:  # the settings changed under a citizen inside the room
            return await self._elsewhere(turn, texts.WEB_UNAVAILABLE)
        latest = await uow.codes.latest(turn.user.id)
        wait = rules.resend_in(latest.sent_at if latest is not None else None, now)
        if wait:
            return [Reply(texts.WAIT.format(seconds=wait), CODE_ROWS if state.step == "code" else (CANCEL_ROW,))]
        person = uow.people.key(phone)
        if await uow.codes.sent_since(person, now - rules.DAY) >= rules.PER_DAY:
            return await self._elsewhere(turn, texts.DAY_LIMIT)
        client = uow.people.client(turn.message.origin) if turn.message.origin else None
        if client is not None and not await uow.people.allow(
            client, rules.SMS_ACTION, self.per_address, rules.ADDRESS_WINDOW
        ):
            return await self._elsewhere(turn, texts.ADDRESS_LIMIT)
        code = rules.new_code()
        if not await self.sms.send(phone, texts.SMS_TEXT.format(code=code)):
            state.step = "phone"
            return [Reply(texts.SEND_FAILED, (CANCEL_ROW,))]
        digest = rules.digest(uow.secret, turn.user.id, phone, code)
        await uow.codes.issue(turn.user.id, person, client, phone, digest, rules.CODE_TTL)
        state.step = "code"
        sent = texts.SENT_DEV if self.sms.development else texts.SENT.format(phone=masked(phone))
        return [Reply(sent, CODE_ROWS)]

    async def _resend(self, turn: Turn) -> list[Reply]:
        latest = await turn.uow.codes.latest(turn.user.id)
        if latest is None or not latest.phone:
            turn.state.step = "phone"
            return [Reply(texts.ASK_MOBILE, (CANCEL_ROW,))]
        return await self._send(turn, latest.phone)

    async def _check(self, turn: Turn, code: str) -> list[Reply]:
        uow = turn.uow
        row = await uow.codes.latest(turn.user.id)
        if row is None or not row.phone or row.state == USED:
            turn.state.step = "phone"
            return [Reply(texts.ASK_MOBILE, (CANCEL_ROW,))]
        if row.state == FAILED or row.attempts >= rules.MAX_ATTEMPTS:
            return [Reply(texts.FAILED, CODE_ROWS)]
        if row.state == EXPIRED or turn.now >= row.expires_at:
            row.state = EXPIRED
            return [Reply(texts.EXPIRED, CODE_ROWS)]
        if rules.matches(row.digest, uow.secret, turn.user.id, row.phone, code):
            how = "dev" if self.sms is not None and self.sms.development else "sms"
            found = await uow.people.verify(turn.user, row.phone, how)
            await uow.codes.close(row, USED)
            return self._verified(turn, found.phone)
        row.attempts += 1
        if row.attempts >= rules.MAX_ATTEMPTS:
            row.state = FAILED
            return [Reply(texts.FAILED, CODE_ROWS)]
        return [Reply(texts.WRONG.format(left=rules.MAX_ATTEMPTS - row.attempts), CODE_ROWS)]

    # --- in and out ------------------------------------------------------------------------------------

    def _enter(self, state: DialogState, then: str, step: str) -> None:
        STATE.leave(state)
        state.scenario = None  # whatever room asked: the citizen is here now
        STATE.save(state, Asked(then=then), step)

    def _verified(self, turn: Turn, phone: str) -> list[Reply]:
        then = STATE.load(turn.state).then
        STATE.leave(turn.state)
        turn.note(Kind.ANSWER, "verify")
        if then:
            turn.then = then  # the asking room goes on in this same turn
        return [Reply(texts.VERIFIED.format(phone=masked(phone)))]

    async def _out(self, turn: Turn) -> list[Reply]:
        await self._drop_numbers(turn)
        STATE.leave(turn.state)
        return [Reply(texts.LEFT, (MENU,))]

    async def _drop_numbers(self, turn: Turn) -> None:
        latest = await turn.uow.codes.latest(turn.user.id)
        if latest is not None and latest.phone:
            await turn.uow.codes.close(latest, EXPIRED if latest.state != FAILED else FAILED)

    def _again(self, turn: Turn) -> list[Reply]:
        """The current step asked again."""
        step = turn.state.step
        if step == "contact":
            return [Reply(texts.ASK_CONTACT, (CANCEL_ROW,), ask_contact=True)]
        if step == "code":
            return [Reply(texts.NOT_CODE, CODE_ROWS)]
        return [Reply(texts.ASK_MOBILE, (CANCEL_ROW,))]

    async def _elsewhere(self, turn: Turn, lead: str) -> list[Reply]:
        """Out of the room, with the one-time links that continue this web chat in a messenger."""
        await self._drop_numbers(turn)
        STATE.leave(turn.state)
        if turn.user.channel != "web" or not self.links:
            return [Reply(f"{lead}\n\n{texts.NO_LINKS}", (MENU,))]
        token = await turn.uow.transfers.create(turn.user.id, turn.now)
        rows = tuple((Button(f"📲 {name}", url=link.format(token=token)),) for name, link in self.links)
        return [Reply(lead, (*rows, MENU))]
