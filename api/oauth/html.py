"""The consent and device pages, in the sign-in area's layout (escaped values, no third-party asset)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from api.models.enums import Role
from api.signin.html import csrf_field, layout
from api.signin.texts import TEXTS


@dataclass(frozen=True)
class Request:
    """What the consent screen names: the app, its organization, the scopes and the roles it would act with."""

    app: str
    organization: str
    scopes: list[str]
    roles: list[Role]


def _hidden(fields: list[tuple[str, str]]) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields)


def consent_page(lang: str, csrf: str, asked: Request, action: str, fields: list[tuple[str, str]], path: str) -> str:
    """Allow or deny an app acting for the signed-in member (``fields``: the request, carried back)."""
    t = TEXTS[lang]
    scopes = "".join(f"<li>{escape(t.get('scope_' + scope, scope))}</li>" for scope in asked.scopes)
    roles = "".join(f"<li>{escape(role.value.lower().replace('_', ' '))}</li>" for role in sorted(asked.roles))
    note = t["device_confirm"] if action.startswith("/signin/device") else t["consent_remember"]
    body = (
        f"<p><strong>{escape(asked.app)}</strong> {escape(t['consent_intro'])} "
        f"<strong>{escape(asked.organization)}</strong>.</p>"
        f'<p>{escape(t["consent_can"])}</p><ul class="scopes">{scopes}</ul>'
        f'<p>{escape(t["consent_roles"])}</p><ul class="roles">{roles}</ul>'
        f"<p>{escape(note)}</p>"
        f'<form method="post" action="{escape(action)}">{csrf_field(csrf)}{_hidden(fields)}'
        f'<button type="submit" name="decision" value="allow" id="allow">{escape(t["allow"])}</button> '
        f'<button type="submit" name="decision" value="deny" id="deny">{escape(t["deny"])}</button></form>'
    )
    return layout(lang, "title_consent", body, path)


def device_page(lang: str, csrf: str, user_code: str, notice: str | None = None) -> str:
    """The form where a signed-in member types the user code a device shows."""
    t = TEXTS[lang]
    body = (
        (f'<p role="alert">{escape(t[notice])}</p>' if notice else "")
        + f"<p>{escape(t['device_intro'])}</p>"
        + f'<form method="post" action="/signin/device">{csrf_field(csrf)}'
        + f'<label for="user-code">{escape(t["user_code"])}</label>'
        + f'<input id="user-code" name="user_code" maxlength="20" autocomplete="off" value="{escape(user_code)}" '
        + 'autocapitalize="characters" spellcheck="false">'
        + f'<button type="submit">{escape(t["continue"])}</button></form>'
    )
    return layout(lang, "title_device", body, "/signin/device")
