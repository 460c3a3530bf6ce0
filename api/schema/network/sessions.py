"""Your sessions (see and end them), an admin ending a member's sessions, and reactivating a member."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from api.models import Member as MemberRow
from api.models.base import Tier
from api.schema.engine.bounded import checked_first
from api.schema.engine.context import Info
from api.schema.engine.errors import BadRequestError
from api.schema.engine.ids import decode_global_id, encode_global_id
from api.schema.engine.mutation_support import Done, codes, expected_version_field, mutation
from api.schema.engine.relay import parse_id
from api.schema.network.people import Member
from api.services.network import members, sessions
from api.services.network.sessions import SessionKind, SessionView

_ID_TYPES = {SessionKind.BROWSER: "BrowserSession", SessionKind.APP: "AppSession"}
_KINDS = {name: kind for kind, name in _ID_TYPES.items()}


@strawberry.enum(name="SessionKind", description="Where a session lives.")
class SessionKindType(enum.Enum):
    BROWSER = strawberry.enum_value("BROWSER", description="A sign-in on this API's own pages (a browser cookie).")
    APP = strawberry.enum_value("APP", description="GraphiQL, a partner app or a script acting for you (OAuth).")


@strawberry.type(description="One of your live sessions (never its secret).")
class Session:
    id: strawberry.ID = strawberry.field(description="Opaque id, to end it with `mySessionEnd`.")
    kind: SessionKindType = strawberry.field(description="A browser sign-in or an app.")
    app_name: str | None = strawberry.field(
        description="The app: `GraphiQL`, or the partner app's name; null for a browser sign-in."
    )
    device_name: str = strawberry.field(description="The browser or device, as it described itself.")
    created_at: datetime = strawberry.field(description="When you signed in (or the app was allowed).")
    last_used_at: datetime | None = strawberry.field(description="When it was last used, if known.")
    current: bool = strawberry.field(description="True for the session this request belongs to.")

    @classmethod
    def of(cls, view: SessionView) -> Session:
        return cls(
            id=strawberry.ID(encode_global_id(_ID_TYPES[view.kind], view.id)), kind=SessionKindType(view.kind.value),
            app_name=view.app_name, device_name=view.device_name, created_at=view.created_at,
            last_used_at=view.last_used_at, current=view.current,
        )  # fmt: skip


@strawberry.type
class SessionQueries:
    @strawberry.field(
        description="Your live sessions (browser sign-ins and apps), most recently used first. Members only.",
        metadata={"tier": Tier.T1},
    )
    async def my_sessions(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="At most this many sessions (1-100; default 20).")] = 20,
    ) -> list[Session]:
        context = info.context
        if context.viewer.member_id is None:
            return []
        size = checked_first(first)
        async with context.exclusive():
            views = await sessions.own_sessions(context.session, context.viewer, size)
        return [Session.of(view) for view in views]


@strawberry.input(description="The session to end.")
class MySessionEndInput:
    id: strawberry.ID = strawberry.field(description="The session (its id from `mySessions`).")


@strawberry.input(description="Which of your sessions to end.")
class MySessionsEndInput:
    except_current: bool = strawberry.field(
        default=False, description="Keep the session this request belongs to (sign out everywhere else)."
    )


@strawberry.input(description="The member whose sessions end.")
class MemberSessionsEndInput:
    member_id: strawberry.ID = strawberry.field(description="The member (of your organization).")


@strawberry.input(description="The member to reactivate.")
class MemberReactivateInput:
    id: strawberry.ID = strawberry.field(description="The deactivated member.")
    expected_version: int | None = expected_version_field()


_ENDED = {"ended": (int, "How many sessions ended.")}
_MEMBER = ("member", Member, "The member.")


def _session_id(value: strawberry.ID) -> tuple[SessionKind, uuid.UUID]:
    type_name, record_id = decode_global_id(value)
    if type_name not in _KINDS:
        raise BadRequestError("Expected the id of a session.", code="INVALID_ID")
    return _KINDS[type_name], record_id


@strawberry.type
class SessionMutations:
    @mutation(
        "mySessionEnd",
        "End one of your sessions: a browser is signed out, an app's tokens stop working on its next request.",
        returns=_MEMBER,
        errors=codes(NOT_FOUND="None of your live sessions has this id."),
    )
    async def my_session_end(
        self, info: Info, input: Annotated[MySessionEndInput, strawberry.argument(description="Which.")]
    ) -> Done:
        context = info.context
        kind, record_id = _session_id(input.id)
        me = await sessions.end_own_session(context.session, context.viewer, kind, record_id)
        return Done(me, {}, [record_id])

    @mutation(
        "mySessionsEnd",
        "End all your sessions (optionally all but this one): sign out everywhere.",
        returns=_MEMBER,
        errors=codes(),
        extra=_ENDED,
    )
    async def my_sessions_end(
        self, info: Info, input: Annotated[MySessionsEndInput, strawberry.argument(description="Which.")]
    ) -> Done:
        context = info.context
        me, ended = await sessions.end_own_sessions(
            context.session, context.viewer, except_current=input.except_current
        )
        return Done(me, {"ended": ended}, [me.id])

    @mutation(
        "memberSessionsEnd",
        "End every session of a member of your organization at once (browsers and apps; their personal access "
        "tokens are revoked one by one with `personalAccessTokenRevoke`, or all by `memberDeactivate`).",
        returns=_MEMBER,
        errors=codes("NOT_FOUND"),
        extra=_ENDED,
    )
    async def member_sessions_end(
        self, info: Info, input: Annotated[MemberSessionsEndInput, strawberry.argument(description="Whose.")]
    ) -> Done:
        context = info.context
        member, ended = await sessions.end_member_sessions(
            context.session, context.viewer, parse_id(input.member_id, "Member")
        )
        return Done(member, {"ended": ended}, [member.id])

    @mutation(
        "memberReactivate",
        "Reactivate a deactivated member of your organization. Nothing comes back: no session, no token, no "
        "passkey; they sign in again only through a new invitation (`memberInvite`).",
        returns=_MEMBER,
        errors=codes("NOT_FOUND", "CONFLICT", MEMBER_ACTIVE="The member is active."),
    )
    async def member_reactivate(
        self, info: Info, input: Annotated[MemberReactivateInput, strawberry.argument(description="Who.")]
    ) -> MemberRow:
        return await members.reactivate_member(
            info.context.session, info.context.viewer, parse_id(input.id, "Member"), input.expected_version
        )
