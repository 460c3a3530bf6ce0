"""Mutants of the authorization server for people: delegated tokens, codes, refresh, consent, redirects."""

from __future__ import annotations

from tests.mutants.base import group

OAUTH = ("tests/oauth/test_refusals.py", "tests/oauth/test_refresh.py", "tests/oauth/test_consents.py",
         "tests/oauth/test_device.py", "tests/oauth/test_graphiql_client.py",
         "tests/oauth/test_authorization_code.py")  # fmt: skip
_delegated = group("oauth", "api/auth/delegated.py", *OAUTH)
_token = group("oauth", "api/oauth/token.py", *OAUTH)
_grants = group("oauth", "api/oauth/grants.py", *OAUTH)
_clients = group("oauth", "api/auth/clients.py", *OAUTH)
_authorize = group("oauth", "api/oauth/authorize.py", *OAUTH)
_consents = group("oauth", "api/oauth/consents.py", *OAUTH)
_store = group("oauth", "api/oauth/store.py", *OAUTH)
_own = group("oauth", "api/auth/consents.py", *OAUTH)
_web = group("oauth", "api/signin/web.py", *OAUTH)

MUTANTS = (
    _delegated("a delegated token beyond the app's ceiling", "return held & app_ceiling(ceiling, app_kind)",
               "return held"),
    _delegated("an ended session's tokens accepted", "OAuthSession.revoked_at.is_(None), Member.active,",
               "Member.active,"),
    _delegated("an inactive member's tokens accepted", "OAuthSession.revoked_at.is_(None), Member.active,",
               "OAuthSession.revoked_at.is_(None),"),
    _delegated("a disabled app's delegated tokens accepted", " or row.disabled_at is not None):", "):"),
    _delegated("delegated scopes not held to the app's", "scopes &= set(row.app_scopes)", "pass"),
    _delegated("an app acting for a person is their own credential", "own_credential=first_party,",
               "own_credential=True,"),
    _token("a replayed code ends nothing",
           'ended = await store.end_sessions(session, "code_replay", OAuthSession.id == row.session_id)',
           "ended: list[uuid.UUID] = []"),
    _token("a reused refresh token goes unnoticed", "if refresh.used_at is not None:  # a spent",
           "if False:  # a spent"),
    _token("an expired code accepted", "if row.expires_at <= datetime.now(UTC) or client is None:",
           "if client is None:"),
    _token("the device polls as fast as it likes", "state.slow_down = True", "state.slow_down = False"),
    _grants("PKCE optional, plain by default", 'if data.get("code_challenge_method") != "S256":',
            'if data.get("code_challenge_method") not in ("S256", None):'),
    _clients("redirect URIs matched by prefix", "return redirect_uri in self.row.redirect_uris  # exact",
             "return any(redirect_uri.startswith(uri) for uri in self.row.redirect_uris)  # exact"),
    _authorize("the consent screen skipped",
               "if client_row is None or await consents.remembered(session, member.id, client_row.id, checked.scopes):",
               "if True:"),
    _consents("revoking a consent leaves the app's sessions", '"consent_revoked", OAuthSession.member_id == member_id,',
              '"consent_revoked", OAuthSession.member_id == member_id, OAuthSession.id.is_(None),'),
    _store("a code or device grant beyond the app's ceiling",
           "roles &= client.roles  # the app's ceiling", "pass  # the app's ceiling"),
    _own("a partner app lists and revokes the person's consents",
         "return viewer.member_id if viewer.own_credential else None", "return viewer.member_id"),
    _web("control characters kept in the way back", 'if "\\\\" in value or any(ord(char) < 32 or ord(char) == 127 for char in value):',
         'if "\\\\" in value:'),
)  # fmt: skip
