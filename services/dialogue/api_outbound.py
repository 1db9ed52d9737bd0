"""Routes for what is sent: webhook subscriptions and their delivery log, e-mail preferences and the notice log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from sqlalchemy import ColumnElement, select
from sqlmodel import col

from services.common.db import MAX_ID, utcnow
from services.common.deps import require
from services.common.http import check_if_match, set_etag
from services.common.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor
from services.contracts import outbound as o
from services.contracts.auth import Actor, Role
from services.dialogue import webhooks
from services.dialogue.deps import AdminDep, EditorDep, IdempotencyDep, SessionDep, SettingsDep
from services.dialogue.models import Notification, NotificationPreference, WebhookSubscription

router = APIRouter(prefix="/v1")

# Admins, and calling services (the gateway, for an API key with the `webhooks` scope).
WebhookActorDep = Annotated[Actor, Depends(require(Role.admin, Role.service))]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=2000)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


async def subscription_by_id(webhook_id: Id, db: SessionDep) -> WebhookSubscription:
    return await webhooks.get_subscription(db, webhook_id)


SubscriptionDep = Annotated[WebhookSubscription, Depends(subscription_by_id)]


@router.post("/webhooks", response_model=o.WebhookCreated, status_code=status.HTTP_201_CREATED, tags=["webhooks"],
             summary="Subscribe a URL to event types; the signing secret is in this answer only")
async def create_webhook(body: o.WebhookCreate, db: SessionDep, actor: WebhookActorDep, settings: SettingsDep,
                         idem: IdempotencyDep, response: Response) -> Any:
    if (replay := await idem.replay()) is not None:
        return replay
    sub = await webhooks.create_subscription(db, body, actor, settings.webhook_allowed_hosts)
    created = o.WebhookCreated(**webhooks.webhook_read(sub).model_dump(), secret=sub.secret)
    location = f"/v1/webhooks/{sub.id}"
    await idem.remember(201, created, location)
    response.headers["Location"] = location
    set_etag(response, f"webhook-{sub.id}", sub.version)
    return created


@router.get("/webhooks", response_model=o.WebhookPage, tags=["webhooks"])
async def list_webhooks(db: SessionDep, _: WebhookActorDep,
                        owner_org_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                        owner_api_key_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                        include_deleted: bool = False, limit: Limit = DEFAULT_LIMIT,
                        cursor: Cursor = None) -> o.WebhookPage:
    rows, next_cursor = await webhooks.list_subscriptions(
        db, owner_org_id=owner_org_id, owner_api_key_id=owner_api_key_id, include_deleted=include_deleted,
        limit=limit, cursor=cursor)
    return o.WebhookPage(items=[webhooks.webhook_read(s) for s in rows], next_cursor=next_cursor)


@router.get("/webhooks/{webhook_id}", response_model=o.WebhookRead, tags=["webhooks"])
async def read_webhook(_: WebhookActorDep, sub: SubscriptionDep, response: Response) -> o.WebhookRead:
    set_etag(response, f"webhook-{sub.id}", sub.version)
    return webhooks.webhook_read(sub)


@router.delete("/webhooks/{webhook_id}", status_code=204, tags=["webhooks"],
               summary="Unsubscribe (kept, with its delivery log; what has not gone out is cancelled)")
async def delete_webhook(_: WebhookActorDep, sub: SubscriptionDep, request: Request, db: SessionDep) -> Response:
    check_if_match(request, f"webhook-{sub.id}", sub.version)
    await webhooks.delete_subscription(db, sub)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=o.DeliveryPage, tags=["webhooks"],
            summary="The delivery log, newest first: attempts, answers, dead letters")
async def list_deliveries(_: WebhookActorDep, sub: SubscriptionDep, db: SessionDep,
                          status_: Annotated[o.DeliveryStatus | None, Query(alias="status")] = None,
                          limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> o.DeliveryPage:
    rows, next_cursor = await webhooks.list_deliveries(db, sub, status=status_, limit=limit, cursor=cursor)
    return o.DeliveryPage(items=[webhooks.delivery_read(d) for d in rows], next_cursor=next_cursor)


@router.post("/webhook-deliveries/{delivery_id}/replay", response_model=o.DeliveryRead, tags=["webhooks"],
             summary="Send a delivery again (a dead letter too), with the same webhook-id")
async def replay_delivery(delivery_id: Id, db: SessionDep, actor: WebhookActorDep) -> o.DeliveryRead:
    return webhooks.delivery_read(await webhooks.replay(db, delivery_id, actor))


# --- e-mail ----------------------------------------------------------------------------------------------

@router.get("/notification-preferences/{recipient_kind}/{recipient_id}", response_model=o.PreferenceRead,
            tags=["notifications"], summary="Immediate mail or a daily digest, for an organization or a person")
async def read_preference(recipient_kind: o.RecipientKind, recipient_id: Id, db: SessionDep,
                          _: EditorDep) -> o.PreferenceRead:
    pref = await db.get(NotificationPreference, (recipient_kind.value, recipient_id))
    if pref is None:
        return o.PreferenceRead(recipient_kind=recipient_kind, recipient_id=recipient_id,
                                delivery=o.Delivery.immediate, updated_at=None)
    return o.PreferenceRead(recipient_kind=recipient_kind, recipient_id=recipient_id,
                            delivery=o.Delivery(pref.delivery), updated_at=pref.updated_at)


@router.put("/notification-preferences/{recipient_kind}/{recipient_id}", response_model=o.PreferenceRead,
            tags=["notifications"], summary="Choose immediate mail or a daily digest (coordinators)")
async def put_preference(recipient_kind: o.RecipientKind, recipient_id: Id, body: o.PreferenceUpdate,
                         db: SessionDep, actor: EditorDep) -> o.PreferenceRead:
    pref = await db.get(NotificationPreference, (recipient_kind.value, recipient_id))
    if pref is None:
        pref = NotificationPreference(recipient_kind=recipient_kind.value, recipient_id=recipient_id)
        db.add(pref)
    pref.delivery, pref.updated_at, pref.updated_by = body.delivery.value, utcnow(), actor.account_id
    await db.flush()
    return o.PreferenceRead(recipient_kind=recipient_kind, recipient_id=recipient_id, delivery=body.delivery,
                            updated_at=pref.updated_at)


@router.get("/notifications", response_model=o.NotificationPage, tags=["notifications"],
            summary="The notice log (admins): recipients by registry id, never by address; newest first")
async def list_notifications(db: SessionDep, _: AdminDep, recipient_kind: o.RecipientKind | None = None,
                             recipient_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                             status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
                             limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> o.NotificationPage:
    conditions: list[ColumnElement[bool]] = []
    if recipient_kind is not None:
        conditions.append(col(Notification.recipient_kind) == recipient_kind.value)
    if recipient_id is not None:
        conditions.append(col(Notification.recipient_id) == recipient_id)
    if status_:
        conditions.append(col(Notification.status) == status_)
    if cursor:
        (last,) = decode_cursor(cursor, 1, (int,))
        conditions.append(col(Notification.id) < int(last))
    rows = list((await db.exec(select(Notification).where(*conditions)
                               .order_by(col(Notification.id).desc()).limit(limit + 1))).scalars())
    items = [o.NotificationRead(
        id=n.id or 0, kind=n.kind, notice_key=n.notice_key, recipient_kind=o.RecipientKind(n.recipient_kind),
        recipient_id=n.recipient_id, delivery=o.Delivery(n.delivery), subject=n.subject, status=n.status,
        attempts=n.attempts, send_after=n.send_after, sent_at=n.sent_at, last_error=n.last_error,
        created_at=n.created_at) for n in rows[:limit]]
    return o.NotificationPage(items=items, next_cursor=encode_cursor([rows[limit - 1].id]) if len(rows) > limit
                              else None)
