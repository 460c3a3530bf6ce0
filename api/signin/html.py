"""Server-rendered pages of the sign-in area: one layout, escaped values, only this server's script and style."""

from __future__ import annotations

from html import escape

from api.models import Passkey
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


def signin_page(lang: str, csrf: str, notice: str | None = None, finish: str = "/signin") -> str:
    """The sign-in page: passkey first (``finish``: where the ceremony ends, with the page to go back to)."""
    t = TEXTS[lang]
    body = (
        (f'<p role="status">{escape(t[notice])}</p>' if notice else "")
        + f"<p>{escape(t['intro_signin'])}</p>"
        + '<form id="signin" data-ceremony="authenticate" data-options="/signin/options" '
        + f'data-finish="{escape(finish)}">'
        + csrf_field(csrf)
        + f'<button type="submit">{escape(t["signin_button"])}</button></form>'
        + _ceremony_messages(t, "failed")
    )
    return layout(lang, "title_signin", body, "/signin")


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


def account_page(lang: str, csrf: str, alias: str, passkeys: list[Passkey]) -> str:
    """The signed-in member's page: their passkeys (rename, remove) and sign-out."""
    t = TEXTS[lang]
    items = "".join(_passkey_item(t, csrf, key) for key in passkeys)
    body = (
        f"<p>{escape(t['signed_in_as'])} <strong>{escape(alias)}</strong></p>"
        + f'<ul class="passkeys">{items}</ul>'
        + f'<form method="post" action="/signin/signout">{csrf_field(csrf)}'
        + f'<button type="submit" id="signout">{escape(t["signout"])}</button></form>'
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
        f"<noscript><p>{escape(t['needs_js'])}</p></noscript>"
    )
