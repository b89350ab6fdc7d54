"""«Користувачі» (admins only): the staff users with their role and whether disabled or locked; add one, disable
one, set a new password (which ends its sessions). The same rules and audit lines as `python -m bot staff`
(dialogs/console/accounts.py, dialogs/console/users.py)."""

from __future__ import annotations

from html import escape

from aiohttp import web

from dialogs.console import accounts, rules
from dialogs.console import users as user_rules
from dialogs.console.accounts import Signed, UserError
from handlers.web.staff.base import changer, console, csrf_field, error, html, notice, page, viewer

PATH = "/staff/users"
ROLES_UA = {"admin": "адміністратор", "registrar": "реєстратор", "operator": "оператор"}
# The rules' English (shared with `python -m bot staff`) said in Ukrainian on the page.
UA = {
    "a login is": "Логін — 2–64 малі латинські літери, цифри, «.», «_» або «-».",
    "a role is": "Оберіть роль зі списку.",
    "at least": f"Пароль — щонайменше {rules.MIN_PASSWORD} символів.",
    "at most": f"Пароль — щонайбільше {rules.MAX_PASSWORD} символів.",
    "exists": "Такий логін уже є (змініть йому пароль у списку).",
    "yourself": "Себе вимкнути не можна: це може зробити інший адміністратор.",
}


def _ua(exc: UserError) -> str:
    return next((said for part, said in UA.items() if part in str(exc)), str(exc))


def _row(i: int, u: user_rules.Listed, signed: Signed) -> str:
    state = "вимкнено" if u.disabled else ("заблоковано на 15 хв" if u.locked else "активний")
    login = escape(u.login)
    actions = ""
    if not u.disabled:
        actions = (
            f'<form method="post" action="{PATH}/passwd">{csrf_field(signed)}'
            f'<input type="hidden" name="login" value="{login}">'
            f'<label for="pw-{i}">Новий пароль для {login}</label>'
            f'<input type="password" id="pw-{i}" name="password" autocomplete="new-password" required>'
            '<button type="submit">Змінити пароль</button></form>'
        )
        if u.login != signed.login:
            actions += (
                f'<form method="post" action="{PATH}/disable">{csrf_field(signed)}'
                f'<input type="hidden" name="login" value="{login}">'
                f'<button type="submit" aria-label="Вимкнути {login}">Вимкнути</button></form>'
            )
    return (f"<tr><td>{login}</td><td>{escape(ROLES_UA.get(u.role, u.role))}</td><td>{state}</td>"
            f"<td>{actions}</td></tr>")  # fmt: skip


async def _page(request: web.Request, signed: Signed, said: str = "", status: int = 200) -> web.Response:
    async with console(request).uows() as uow:
        listed = await user_rules.listing(uow)
    roles = "".join(f'<option value="{r}"{" selected" if r == "operator" else ""}>{ROLES_UA[r]}</option>'
                    for r in rules.ROLES)  # fmt: skip  (the least the default)
    body = (
        f"<h1>Користувачі</h1>{said}"
        '<div class="scroll"><table><caption>Користувачі консолі</caption><thead><tr><th scope="col">Логін</th>'
        '<th scope="col">Роль</th><th scope="col">Стан</th><th scope="col">Дії</th></tr></thead><tbody>'
        + "".join(_row(i, u, signed) for i, u in enumerate(listed))
        + "</tbody></table></div>"
        '<section class="office" aria-labelledby="add-h"><h2 id="add-h">Додати користувача</h2>'
        f'<form method="post" action="{PATH}/add">{csrf_field(signed)}'
        '<label for="add-login">Логін (латиниця, цифри, «.», «_», «-»)</label>'
        '<input type="text" id="add-login" name="login" autocomplete="off" required>'
        f'<label for="add-role">Роль</label><select id="add-role" name="role">{roles}</select>'
        f'<label for="add-password">Пароль (щонайменше {rules.MIN_PASSWORD} символів)</label>'
        '<input type="password" id="add-password" name="password" autocomplete="new-password" required>'
        '<button type="submit">Додати</button></form></section>'
    )
    return html(page("Користувачі", body, signed, PATH), status)


async def users_page(request: web.Request) -> web.StreamResponse:
    return await _page(request, await viewer(request, "users"))


async def add_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, "users")
    login = fields.get("login", "").strip().lower()
    try:
        async with console(request).uows() as uow:
            await accounts.add_user(uow, login, fields.get("role", ""), fields.get("password", ""), signed.login)
    except UserError as exc:
        return await _page(request, signed, error(_ua(exc)), 422)
    return await _page(request, signed, notice(f"Додано {login}."))


async def disable_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, "users")
    login = fields.get("login", "")
    try:
        async with console(request).uows() as uow:
            done = await user_rules.disable(uow, login, signed.login)
    except UserError as exc:
        return await _page(request, signed, error(_ua(exc)), 422)
    if done is None:
        return await _page(request, signed, error(f"Немає користувача {login}."), 404)
    return await _page(request, signed, notice(f"{login} вимкнено; його сеанси завершено."))


async def passwd_form(request: web.Request) -> web.StreamResponse:
    signed, fields = await changer(request, "users")
    login = fields.get("login", "")
    try:
        async with console(request).uows() as uow:
            done = await accounts.set_password(uow, login, fields.get("password", ""), signed.login)
    except UserError as exc:
        return await _page(request, signed, error(_ua(exc)), 422)
    if done is None:
        return await _page(request, signed, error(f"Немає користувача {login}."), 404)
    return await _page(request, signed, notice(f"Пароль {login} змінено; його сеанси завершено."))


def routes(app: web.Application) -> None:
    app.router.add_get(PATH, users_page)
    app.router.add_post(f"{PATH}/add", add_form)
    app.router.add_post(f"{PATH}/disable", disable_form)
    app.router.add_post(f"{PATH}/passwd", passwd_form)
