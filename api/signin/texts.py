"""The sign-in pages' words in English and Spanish, and the choice of language (switch, then Accept-Language)."""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = ("en", "es")
LANGUAGE_COOKIE = "sanctuary_lang"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title_signin": "Sign in",
        "title_invitation": "Set up your passkey",
        "title_account": "Your passkeys",
        "intro_signin": "Sign in with a passkey saved on this device or on a security key.",
        "intro_invitation": "You were invited to the Sanctuary Network. Create a passkey to sign in from now on.",
        "signin_button": "Sign in with a passkey",
        "passkey_name": "Name for this passkey (for example, “my phone”)",
        "register_button": "Create passkey",
        "failed": "Sign-in did not work. Try again, or ask your organization's admin for a new invitation.",
        "enroll_failed": "The passkey could not be created. Try again.",
        "invalid_link": "This link is not valid any more. Ask your organization's admin for a new invitation.",
        "signed_in_as": "Signed in as",
        "rename": "Rename",
        "remove": "Remove",
        "created": "Added",
        "last_used": "Last used",
        "never": "never",
        "signout": "Sign out",
        "signed_out": "You are signed out.",
        "language": "Language",
        "needs_js": "Passkeys need JavaScript from this server (no other site is contacted).",
        "working": "Waiting for your passkey…",
        "title_consent": "Allow this app?",
        "consent_intro": "wants to act for you. It is an app of",
        "consent_can": "It will be able to:",
        "scope_read": "read what you may read",
        "scope_write": "make the changes you may make",
        "consent_roles": "As you, and only with these roles of yours:",
        "consent_remember": "Your answer is remembered for this app until you revoke it.",
        "device_confirm": "Only allow it if you started this on your own device just now.",
        "allow": "Allow",
        "deny": "Deny",
        "invalid_request": "This request is not valid. Go back to the app and try again.",
        "title_device": "Connect a device",
        "device_intro": "Type the code that the app or script you want to connect is showing.",
        "user_code": "Code",
        "continue": "Continue",
        "device_invalid": "This code is not valid, or it has expired.",
        "device_throttled": "Too many attempts. Wait a few minutes and try again.",
        "device_approved": "Done: the device is connected. You can close this page.",
        "device_denied": "The device was not connected.",
    },
    "es": {
        "title_signin": "Iniciar sesión",
        "title_invitation": "Configura tu llave de acceso",
        "title_account": "Tus llaves de acceso",
        "intro_signin": "Inicia sesión con una llave de acceso guardada en este dispositivo o en una llave de seguridad.",
        "intro_invitation": "Te invitaron a la Red Santuario. Crea una llave de acceso para iniciar sesión desde ahora.",
        "signin_button": "Iniciar sesión con una llave de acceso",
        "passkey_name": "Nombre para esta llave de acceso (por ejemplo, «mi teléfono»)",
        "register_button": "Crear llave de acceso",
        "failed": "No se pudo iniciar sesión. Inténtalo de nuevo o pide una nueva invitación a quien administra tu organización.",
        "enroll_failed": "No se pudo crear la llave de acceso. Inténtalo de nuevo.",
        "invalid_link": "Este enlace ya no es válido. Pide una nueva invitación a quien administra tu organización.",
        "signed_in_as": "Sesión iniciada como",
        "rename": "Cambiar nombre",
        "remove": "Quitar",
        "created": "Agregada",
        "last_used": "Último uso",
        "never": "nunca",
        "signout": "Cerrar sesión",
        "signed_out": "Cerraste la sesión.",
        "language": "Idioma",
        "needs_js": "Las llaves de acceso necesitan JavaScript de este servidor (no se contacta ningún otro sitio).",
        "working": "Esperando tu llave de acceso…",
        "title_consent": "¿Permitir esta aplicación?",
        "consent_intro": "quiere actuar en tu nombre. Es una aplicación de",
        "consent_can": "Podrá:",
        "scope_read": "leer lo que tú puedes leer",
        "scope_write": "hacer los cambios que tú puedes hacer",
        "consent_roles": "Como tú, y solo con estos roles tuyos:",
        "consent_remember": "Tu respuesta se recuerda para esta aplicación hasta que la revoques.",
        "device_confirm": "Permítelo solo si acabas de iniciar esto en tu propio dispositivo.",
        "allow": "Permitir",
        "deny": "Rechazar",
        "invalid_request": "Esta solicitud no es válida. Vuelve a la aplicación e inténtalo de nuevo.",
        "title_device": "Conectar un dispositivo",
        "device_intro": "Escribe el código que muestra la aplicación o el script que quieres conectar.",
        "user_code": "Código",
        "continue": "Continuar",
        "device_invalid": "Este código no es válido o ya venció.",
        "device_throttled": "Demasiados intentos. Espera unos minutos e inténtalo de nuevo.",
        "device_approved": "Listo: el dispositivo está conectado. Puedes cerrar esta página.",
        "device_denied": "El dispositivo no se conectó.",
    },
}


def language(request: Request) -> str:
    """``?lang=`` (the switch), then the language cookie, then the best of Accept-Language; English by default."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    ranked: list[tuple[float, str]] = []
    for part in request.headers.get("accept-language", "")[:500].split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.split("-")[0].lower()))
    for _quality, tag in sorted(ranked, key=lambda item: -item[0]):
        if tag in LANGUAGES:
            return tag
    return "en"
