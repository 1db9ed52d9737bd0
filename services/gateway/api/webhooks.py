"""Webhook subscriptions of the key's organization (scope `webhooks`): subscribe, list, read, unsubscribe, deliveries.

The dialogue service lets a calling service manage any subscription; the gateway narrows that to the ones its
key's organization owns: another organization's subscription is answered as not found, so ids reveal nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.common.problems import NotFound
from services.contracts import outbound as o
from services.contracts.accounts import ApiKeyRead
from services.gateway.api.auth import WebhooksKey
from services.gateway.api.deps import (
    DEFAULT_PAGE,
    Api,
    ApiDep,
    Cursor,
    Id,
    IdempotencyKey,
    IfMatch,
    Limit,
    relay_headers,
)
from services.gateway.api.errors import problems
from services.gateway.api.models import WebhookSubscribe

router = APIRouter(prefix="/v1", tags=["webhooks"])


class WebhookNotFound(NotFound):
    title = "Webhook subscription not found"
    slug = "webhook-not-found"


async def _own(api: Api, key: ApiKeyRead, webhook_id: int, response: Response | None = None) -> o.WebhookRead:
    answer = await api.dialogue.send("GET", f"/v1/webhooks/{webhook_id}", api.service())
    sub = api.dialogue.parse(answer, o.WebhookRead)
    if sub.owner_org_id != key.org_id:
        raise WebhookNotFound(f"No webhook subscription with id {webhook_id}.")
    if response is not None:
        relay_headers(answer.headers, response)
    return sub


@router.post("/webhooks", response_model=o.WebhookCreated, status_code=status.HTTP_201_CREATED,
             responses=problems(400, 409),
             summary="Subscribe a public URL to event types; the signing secret is in this answer only")
async def subscribe(api: ApiDep, key: WebhooksKey, body: WebhookSubscribe, response: Response,
                    idempotency_key: IdempotencyKey = None) -> o.WebhookCreated:
    create = o.WebhookCreate(url=body.url, event_types=body.event_types, description=body.description,
                             owner_org_id=key.org_id, owner_api_key_id=key.id)
    created = await api.post(api.dialogue, "/v1/webhooks", o.WebhookCreated, create.model_dump(mode="json"),
                             api.service(), response, idempotency_key=idempotency_key, key=key)
    response.headers["Location"] = f"/api/v1/webhooks/{created.id}"
    return created


@router.get("/webhooks", response_model=o.WebhookPage, responses=problems(),
            summary="The organization's webhook subscriptions")
async def list_webhooks(api: ApiDep, key: WebhooksKey, include_deleted: bool = False, limit: Limit = DEFAULT_PAGE,
                        cursor: Cursor = None) -> o.WebhookPage:
    return await api.get(api.dialogue, "/v1/webhooks", o.WebhookPage, caller=api.service(), params={
        "owner_org_id": key.org_id, "include_deleted": include_deleted or None, "limit": limit, "cursor": cursor})


@router.get("/webhooks/{webhook_id}", response_model=o.WebhookRead, responses=problems(404),
            summary="One subscription (ETag: for If-Match when unsubscribing)")
async def read_webhook(api: ApiDep, key: WebhooksKey, webhook_id: Id, response: Response) -> o.WebhookRead:
    return await _own(api, key, webhook_id, response)


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
               responses=problems(404, 412, 428),
               summary="Unsubscribe (If-Match required); what has not gone out yet is cancelled")
async def unsubscribe(api: ApiDep, key: WebhooksKey, webhook_id: Id, if_match: IfMatch = None) -> Response:
    await _own(api, key, webhook_id)
    await api.dialogue.send("DELETE", f"/v1/webhooks/{webhook_id}", api.service(),
                            headers={"If-Match": if_match} if if_match else None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=o.DeliveryPage, responses=problems(404),
            summary="The subscription's delivery log, newest first: attempts, answers, dead letters")
async def list_deliveries(
    api: ApiDep, key: WebhooksKey, webhook_id: Id,
    status_: Annotated[o.DeliveryStatus | None, Query(alias="status")] = None,
    limit: Limit = DEFAULT_PAGE, cursor: Cursor = None,
) -> o.DeliveryPage:
    await _own(api, key, webhook_id)
    return await api.get(api.dialogue, f"/v1/webhooks/{webhook_id}/deliveries", o.DeliveryPage,
                         caller=api.service(),
                         params={"status": status_.value if status_ else None, "limit": limit, "cursor": cursor})
