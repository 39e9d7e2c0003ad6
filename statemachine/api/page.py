"""`/`: the reports page (`baton report html`) for anyone with a valid token.

A browser cannot add `Authorization` to a link, so `/` also takes the token
from a cookie: without one it shows a small form, and the form's POST to
`/login` checks the token and sets it as an HttpOnly, SameSite=Strict cookie
(Secure behind HTTPS), which no script can read and no other site can send.
The cookie opens only this page: every `/v1` request still needs the
`Authorization` header, so another site's form cannot act with it.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request as HttpRequest
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..errors import BatonError
from .app import api, bearer, read_body
from .backend import Request

COOKIE = "baton_token"
COOKIE_SECONDS = 12 * 3600

FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton reports</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}}
input{{width:100%;padding:.5rem;margin:.5rem 0;font:inherit}}button{{padding:.5rem 1rem;font:inherit}}
.problem{{color:#a00}}</style></head>
<body><h1>Baton reports</h1>
<p>The handover in figures. Paste the API token an admin made for you
(<code>baton token create NAME</code>) to see them.</p>
{problem}<form method="post" action="/login">
<label for="token">Your token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Show the reports</button></form></body></html>
"""


def login_form(status: int, problem: str | None = None) -> HTMLResponse:
    shown = f'<p class="problem">{html.escape(problem)}</p>\n' if problem else ""
    return HTMLResponse(FORM.format(problem=shown), status)


async def page(http: HttpRequest) -> Response:
    state = api(http)
    token = bearer(http) or http.cookies.get(COOKIE)
    if not token:
        return login_form(401)
    who = await state.call(state.backend.who, Request("GET", "/", token))
    if who.status != 200:
        return login_form(who.status, who.value["error"])
    try:
        text = await run_in_threadpool(render_reports, state.backend.db, state.backend.now, who.value)
    except BatonError as error:
        return HTMLResponse(f"<p>{html.escape(str(error))}</p>", 503)
    return HTMLResponse(text, headers={"Cache-Control": "no-store"})


def render_reports(db: str, now: str | None, actor: str) -> str:
    """The page `baton report html` writes, as of now, on a connection of its own
    (the figures take one read of the log, which the API's requests need not wait for)."""
    from ..reports import compute
    from ..reports.page import render
    from ..workspace import Workspace

    ws = Workspace.open(db, actor, now, write=False)
    try:
        return render(compute(ws.store, as_of=ws.at).as_json())
    finally:
        ws.close()


async def login(http: HttpRequest) -> Response:
    state = api(http)
    try:
        form = parse_qs((await read_body(http)).decode("utf-8", "replace"))
    except BatonError as error:
        return login_form(413, str(error))
    token = (form.get("token") or [""])[0].strip()
    who = await state.call(state.backend.who, Request("POST", "/login", token))
    if who.status != 200:
        return login_form(who.status, who.value["error"])
    response = RedirectResponse("/", 303)
    response.set_cookie(COOKIE, token, max_age=COOKIE_SECONDS, path="/", httponly=True, samesite="strict",
                        secure=http.url.scheme == "https")
    return response


async def logout(http: HttpRequest) -> Response:
    response = RedirectResponse("/", 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
