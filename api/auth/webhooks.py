"""Who manages a partner app's webhook endpoints, and reads them and their deliveries: one rule, rows and writes.

An org admin manages the endpoints of every partner app of its organization (writing needs the ``write``
scope, as every mutation); a partner app holding the ``webhooks`` scope manages its own endpoints, and no
other app's. Deliveries follow their endpoint; a delivery not sent because the app may not read the record
(``NOT_VISIBLE``) is never listed (that an event it may not see happened is not the app's to know).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select

from api.auth import ties
from api.auth.viewer import Viewer
from api.models import OAuthClient, WebhookDelivery, WebhookEndpoint
from api.models.enums import Role, WebhookDeliveryStatus

SCOPE = "webhooks"


def acts_as_app_with_scope(viewer: Viewer) -> bool:
    """The viewer is a partner app acting for its organization and holding the ``webhooks`` scope (it manages its
    own endpoints). Not an app acting for a person: its webhooks would deliver under the app's whole ceiling,
    beyond that person's rights."""
    return viewer.client_id is not None and viewer.member_id is None and SCOPE in viewer.scopes


def _own_app(viewer: Viewer) -> ColumnElement[bool]:
    return OAuthClient.client_id == viewer.client_id if acts_as_app_with_scope(viewer) else false()


def managed_apps(viewer: Viewer) -> Select[Any]:
    """The ids of the partner apps whose endpoints the viewer reads."""
    return select(OAuthClient.id).where(
        or_(ties.role_in_own(viewer, OAuthClient.organization_id, Role.ORG_ADMIN), _own_app(viewer)),
        OAuthClient.organization_id == viewer.organization_id,
    )


def webhook_endpoints(viewer: Viewer) -> Select[Any]:
    """Endpoints of the apps the viewer manages."""
    return select(WebhookEndpoint).where(WebhookEndpoint.app_id.in_(managed_apps(viewer)))


def webhook_deliveries(viewer: Viewer) -> Select[Any]:
    """Deliveries of those endpoints, but the ones held back because the app may not read the record."""
    endpoints = webhook_endpoints(viewer).with_only_columns(WebhookEndpoint.id)
    return select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id.in_(endpoints), WebhookDelivery.status != WebhookDeliveryStatus.NOT_VISIBLE
    )


def may_manage(viewer: Viewer, app: OAuthClient) -> bool:
    """Whether the viewer may change the endpoints of ``app`` (register, update, rotate, replay, delete)."""
    if viewer.organization_id is None or app.organization_id != viewer.organization_id:
        return False
    if viewer.has_role(Role.ORG_ADMIN) and "write" in viewer.scopes:
        return True
    return acts_as_app_with_scope(viewer) and app.client_id == viewer.client_id
