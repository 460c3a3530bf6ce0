"""Server-rendered pages of the sign-in area: one layout, escaped values, only this server's script and style."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from api.models import Passkey
from api.services.network.sessions import SessionView
from api.signin.texts import LANGUAGES, TEXTS

NAMES = {"en": "English", "es": "Español"}


def layout(lang: str, title_key: str, body: str, path: str) -> str:
    """The page around ``body``: language switch, title, our stylesheet and script."""
    t = TEXTS[lang]
    switch = " · ".join(
        f'<a href="{escape(path)}?lang={code}" hreflang="{code}" lang="{code}"'
        + (' aria-current="true"' if code == lang else "")
        + f">{NAMES[code]}</a>"
        for code in LANGUAGES
    )
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(t[title_key])} · Sanctuary Network</title>"
        '<link rel="stylesheet" href="/signin/static/signin.css">'
        '<script src="/signin/static/signin.js" defer></script></head><body>'
        f'<nav aria-label="{escape(t["language"])}">{switch}</nav>'
        f"<main><h1>{escape(t[title_key])}</h1>{body}</main></body></html>"
    )


def csrf_field(csrf: str) -> str:
    """The hidden CSRF token every form (and the script) sends back."""
    return f'<input type="hidden" name="csrf" value="{escape(csrf)}">'


def signin_page(
    lang: str, csrf: str, notice: str | None = None, finish: str = "/signin", *,
    issuers: Sequence[tuple[str, str]] = (), demo: Sequence[tuple[str, str]] = (), back: str | None = None,
) -> str:  # fmt: skip
    """The sign-in page: passkey first (``finish``: where the ceremony ends, with the page to go back to);
    then each external issuer ((path, name)); the demo's members ((id, alias))."""
    t = TEXTS[lang]
    body = (
        (f'<p role="status">{escape(t[notice])}</p>' if notice else "")
        + f"<p>{escape(t['intro_signin'])}</p>"
        + '<form id="signin" data-ceremony="authenticate" data-options="/signin/options" '
        + f'data-finish="{escape(finish)}">'
        + csrf_field(csrf)
        + f'<button type="submit">{escape(t["signin_button"])}</button></form>'
        + _ceremony_messages(t, "failed")
        + "".join(
            f'<p><a class="issuer" href="{escape(path)}">{escape(t["signin_with"])} {escape(name)}</a></p>'
            for path, name in issuers
        )
        + (_demo_section(t, csrf, demo, back) if demo else "")
    )
    return layout(lang, "title_signin", body, "/signin")


def _demo_section(t: dict[str, str], csrf: str, members: Sequence[tuple[str, str]], back: str | None) -> str:
    """The demo's one-click sign-in, clearly marked: one POST form (CSRF) per demo member (``back``: the page
    to return to, e.g. GraphiQL's authorization request)."""
    back_field = f'<input type="hidden" name="next" value="{escape(back)}">' if back else ""
    buttons = "".join(
        f'<li><form method="post" action="/signin/demo">{csrf_field(csrf)}{back_field}'
        f'<input type="hidden" name="member" value="{escape(member_id)}">'
        f'<button type="submit">{escape(t["demo_button"])} {escape(alias)}</button></form></li>'
        for member_id, alias in members
    )
    return (
        f'<section class="demo" aria-labelledby="demo-heading"><h2 id="demo-heading">{escape(t["demo"])}</h2>'
        f"<p>{escape(t['demo_intro'])}</p><ul>{buttons}</ul></section>"
    )


def invitation_page(lang: str, csrf: str, action: str) -> str:
    """The enrollment page of a valid invitation: name the passkey, create it."""
    t = TEXTS[lang]
    body = (
        f"<p>{escape(t['intro_invitation'])}</p>"
        + f'<form id="enroll" data-ceremony="register" data-options="{escape(action)}/options" '
        + f'data-finish="{escape(action)}">'
        + csrf_field(csrf)
        + f'<label for="passkey-name">{escape(t["passkey_name"])}</label>'
        + '<input id="passkey-name" name="name" maxlength="120" autocomplete="off">'
        + f'<button type="submit">{escape(t["register_button"])}</button></form>'
        + _ceremony_messages(t, "enroll_failed")
    )
    return layout(lang, "title_invitation", body, action)


def message_page(lang: str, key: str, title_key: str = "title_signin") -> str:
    """A page with one message (an invalid link, for example)."""
    return layout(lang, title_key, f'<p role="alert">{escape(TEXTS[lang][key])}</p>', "/signin")


def account_page(
    lang: str, csrf: str, alias: str, passkeys: list[Passkey], *, fresh: bool = False, notice: str | None = None,
    sessions: Sequence[SessionView] = (), this: object = None,
) -> str:  # fmt: skip
    """The signed-in member's page: their passkeys (rename, remove), a new personal token (only while the sign-in
    is ``fresh``), and sign-out."""
    t = TEXTS[lang]
    items = "".join(_passkey_item(t, csrf, key) for key in passkeys)
    body = (
        (f'<p role="alert">{escape(t[notice])}</p>' if notice else "")
        + f"<p>{escape(t['signed_in_as'])} <strong>{escape(alias)}</strong></p>"
        + f'<ul class="passkeys">{items}</ul>'
        + _sessions_section(t, csrf, sessions, this)
        + _tokens_section(t, csrf, fresh)
        + f'<form method="post" action="/signin/signout">{csrf_field(csrf)}'
        + f'<button type="submit" id="signout">{escape(t["signout"])}</button></form>'
    )
    return layout(lang, "title_account", body, "/signin/account")


def _sessions_section(t: dict[str, str], csrf: str, sessions: Sequence[SessionView], this: object) -> str:
    """The member's live sessions; each but this browser's can be ended."""
    if not sessions:
        return ""
    items = []
    for view in sessions:
        name = view.app_name or t["browser"]
        used = (view.last_used_at or view.created_at).date().isoformat()
        text = f"{escape(name)} · {escape(view.device_name[:80])} · {escape(t['last_used'])}: {used}"
        if view.id == this:
            items.append(f"<li>{text} ({escape(t['this_browser'])})</li>")
            continue
        items.append(
            f'<li>{text}<form method="post" action="/signin/sessions/{view.kind.value.lower()}/{view.id}/end">'
            f'{csrf_field(csrf)}<button type="submit">{escape(t["end_session"])}</button></form></li>'
        )
    return f'<section aria-labelledby="sessions"><h2 id="sessions">{escape(t["sessions"])}</h2>' \
        f'<ul class="sessions">{"".join(items)}</ul></section>'  # fmt: skip


def _tokens_section(t: dict[str, str], csrf: str, fresh: bool) -> str:
    if not fresh:
        form = (
            f'<p>{escape(t["signin_again"])}</p><form method="post" action="/signin/signout">{csrf_field(csrf)}'
            f'<button type="submit">{escape(t["signin_again_button"])}</button></form>'
        )
    else:
        form = (
            f'<form method="post" action="/signin/tokens">{csrf_field(csrf)}'
            f'<label for="token-name">{escape(t["token_name"])}</label>'
            '<input id="token-name" name="name" maxlength="120" required autocomplete="off">'
            f'<label for="token-days">{escape(t["token_days"])}</label>'
            '<input id="token-days" name="days" type="number" min="1" max="366" value="30" required>'
            f'<button type="submit">{escape(t["token_create"])}</button></form>'
        )
    return f'<section aria-labelledby="tokens"><h2 id="tokens">{escape(t["tokens"])}</h2>' \
        f"<p>{escape(t['tokens_intro'])}</p>{form}</section>"  # fmt: skip


def token_page(lang: str, secret: str) -> str:
    """A new personal token's secret, shown this once (the page is never cached)."""
    t = TEXTS[lang]
    body = (
        f'<p role="status">{escape(t["token_shown_once"])}</p>'
        f'<p><label for="token">{escape(t["tokens"])}</label>'
        f'<input id="token" readonly size="60" value="{escape(secret)}" autocomplete="off"></p>'
        f'<p><a href="/signin/account">{escape(t["back_to_account"])}</a></p>'
    )
    return layout(lang, "title_account", body, "/signin/account")


def _passkey_item(t: dict[str, str], csrf: str, key: Passkey) -> str:
    field_id = f"name-{key.id}"
    used = key.last_used_at.date().isoformat() if key.last_used_at else t["never"]
    return (
        f'<li><form method="post" action="/signin/passkeys/{key.id}/rename">{csrf_field(csrf)}'
        f'<label for="{field_id}">{escape(t["rename"])}</label>'
        f'<input id="{field_id}" name="name" maxlength="120" value="{escape(key.name)}">'
        f'<button type="submit">{escape(t["rename"])}</button></form>'
        f"<p>{escape(t['created'])}: {key.created_at.date().isoformat()} · {escape(t['last_used'])}: {used}</p>"
        f'<form method="post" action="/signin/passkeys/{key.id}/remove">{csrf_field(csrf)}'
        f'<button type="submit" aria-label="{escape(t["remove"])}: {escape(key.name)}">{escape(t["remove"])}</button>'
        "</form></li>"
    )


def _ceremony_messages(t: dict[str, str], failure: str) -> str:
    return (
        f'<p id="working" hidden role="status">{escape(t["working"])}</p>'
        f'<p id="failed" hidden role="alert">{escape(t[failure])}</p>'
        f'<p id="throttled" hidden role="alert">{escape(t["throttled"])}</p>'
        f"<noscript><p>{escape(t['needs_js'])}</p></noscript>"
    )
