"""Live updates of the session console: a per-process notifier that wakes open streams, and the stream itself.

Every open console holds one server-sent-events stream. The stream asks the dialogue service for the
session's live state — a few tokens that move whenever anything a console shows moves — every
`live_poll_seconds`, so a change made anywhere (another gateway process, the API, the worker) reaches
every screen within that time. A write made through *this* process also wakes its streams at once
(`LiveHub.notify`), so the person acting sees the result immediately. When a token moved, the stream
sends the regions that show it as named events whose data are the re-rendered HTML fragments; the page
swaps them in (htmx `sse-swap`).

A process serves at most `live_max_streams` streams; one more is told so in plain words and closed.
Streams end when the browser goes away, when the server shuts down (`LiveHub.close`, and sse-starlette's
own shutdown watch under uvicorn), and when the viewer's sign-in ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sse_starlette import ServerSentEvent

from services.contracts.dialogue import LiveState
from services.gateway.upstream import UpstreamProblem, UpstreamUnavailable

log = logging.getLogger("ashyq.gateway.live")

RECONNECT_MILLISECONDS = 3000  # how long a browser waits before reconnecting a dropped stream
CLOSE_EVENT = "close"  # the page's `sse-close`: the browser closes the stream and does not reconnect


class StreamsFull(Exception):
    """This process already serves as many live streams as it may."""


class Watch:
    """One open stream's subscription: woken by `LiveHub.notify` for its session, or by the hub closing."""

    def __init__(self, hub: LiveHub, session_id: int) -> None:
        self.hub = hub
        self.session_id = session_id
        self._woken = asyncio.Event()

    def wake(self) -> None:
        self._woken.set()

    async def wait(self, seconds: float) -> None:
        """Until woken or `seconds` pass, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), seconds)
        self._woken.clear()


class LiveHub:
    """The streams open in this process, by session; at most `max_streams` of them."""

    def __init__(self, max_streams: int) -> None:
        self.max_streams = max_streams
        self._watches: dict[int, set[Watch]] = defaultdict(set)
        self._open = 0
        self.closing = False

    @property
    def open_streams(self) -> int:
        return self._open

    def has_room(self) -> bool:
        return not self.closing and self._open < self.max_streams

    @contextlib.contextmanager
    def watch(self, session_id: int) -> Iterator[Watch]:
        if not self.has_room():
            raise StreamsFull()
        watch = Watch(self, session_id)
        self._open += 1
        self._watches[session_id].add(watch)
        try:
            yield watch
        finally:
            self._open -= 1
            watchers = self._watches.get(session_id)
            if watchers is not None:
                watchers.discard(watch)
                if not watchers:
                    del self._watches[session_id]

    def notify(self, session_id: int) -> None:
        """Something of this session changed through this process: its streams look again now."""
        for watch in list(self._watches.get(session_id, ())):
            watch.wake()

    def close(self) -> None:
        """The process is shutting down: every stream says goodbye and ends; no new one opens."""
        self.closing = True
        for watchers in list(self._watches.values()):
            for watch in list(watchers):
                watch.wake()


class CloseOnShutdown:
    """Given to sse-starlette as a stream's `shutdown_event`: when it sees the server shutting down (uvicorn's
    SIGTERM), it "sets" this, which closes the hub, so every stream says goodbye and finishes its response
    properly within the grace period instead of being cut off mid-stream."""

    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub

    def set(self) -> None:
        self.hub.close()

    def is_set(self) -> bool:
        return self.hub.closing


def hub_of(app: Any) -> LiveHub:
    """The app's hub (made by the console router's lifespan; made here too if a test skipped it)."""
    hub: LiveHub | None = getattr(app.state, "live_hub", None)
    if hub is None:
        hub = LiveHub(app.state.settings.live_max_streams)
        app.state.live_hub = hub
    return hub


# --- what changed --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stamp:
    """What a screen last showed: the live state's tokens plus the status and the item under discussion.

    Sent as each event's id (and put in the page's stream address), so a stream that reconnects sends
    only what moved since."""

    session: str
    agenda: str
    participants: str
    recommendations: str
    status: str
    current_item: str

    @classmethod
    def of(cls, state: LiveState) -> Stamp:
        return cls(session=state.session, agenda=state.agenda, participants=state.participants,
                   recommendations=state.recommendations, status=state.status.value,
                   current_item=str(state.current_agenda_item_id or 0))

    @classmethod
    def parse(cls, text: str | None) -> Stamp | None:
        parts = (text or "").split("/")
        if len(parts) != 6 or len(text or "") > 300 or not all(parts):
            return None
        return cls(*parts)

    def __str__(self) -> str:
        return "/".join((self.session, self.agenda, self.participants, self.recommendations, self.status,
                         self.current_item))


# The regions of the console, in the order a changed screen receives them.
REGIONS = ("status", "current", "notes", "counts", "headcounts", "people", "walkin", "decide", "decideitem",
           "decisions")
# The regions a read-only (projector) view shows.
WATCH_REGIONS = ("status", "current", "counts", "decisions")


def changed_regions(before: Stamp | None, after: Stamp, *, watch: bool = False) -> list[str]:
    """The regions to send again. Forms someone may be typing in (head counts, walk-in, the decision form) are
    sent again only when the session's status changes; the notes form and the decision form's agenda item
    follow the item under discussion; nothing else interrupts typing."""
    if before is None or before.status != after.status:
        wanted = set(REGIONS)
    else:
        wanted = set()
        if before.current_item != after.current_item:
            wanted |= {"current", "notes", "decideitem", "status"}
        if before.session != after.session:
            wanted |= {"status", "current", "counts"}
        if before.agenda != after.agenda:
            wanted |= {"current", "decisions"}
        if before.participants != after.participants:
            wanted |= {"counts", "people"}
        if before.recommendations != after.recommendations:
            wanted |= {"decisions"}
    if "decide" in wanted:
        wanted.discard("decideitem")  # the whole decision form carries the item already
    order = WATCH_REGIONS if watch else REGIONS
    return [r for r in order if r in wanted]


# --- the stream ------------------------------------------------------------------------------------------

Render = Callable[[Sequence[str]], Awaitable[list[tuple[str, str]]]]
Notice = Callable[[str], str]


async def live_events(hub: LiveHub, session_id: int, since: Stamp | None, *, poll_seconds: float,
                      read_state: Callable[[], Awaitable[LiveState]], render: Render, notice: Notice,
                      still_allowed: Callable[[], Awaitable[bool]],
                      watching: bool = False) -> AsyncIterator[ServerSentEvent]:
    """The events of one open console: changed regions as HTML fragments, and a `live` line saying how
    the connection is. `notice(kind)` renders that line for: connected, updated, outage, full, gone,
    signed-out, closing."""
    if hub.closing:  # shutting down: no close event, so the browser reconnects to the next process
        yield ServerSentEvent(notice("closing"), event="live", retry=RECONNECT_MILLISECONDS)
        return
    if not hub.has_room():
        log.warning("live console: %s streams open, the most this process serves; one more refused",
                    hub.open_streams)
        yield ServerSentEvent(notice("full"), event="live", retry=60_000)
        yield ServerSentEvent("", event=CLOSE_EVENT)
        return
    with hub.watch(session_id) as watch:
        yield ServerSentEvent(notice("connected"), event="live", retry=RECONNECT_MILLISECONDS)
        shown = since
        in_outage = False
        while not hub.closing:
            stamp: Stamp | None = None
            fragments: list[tuple[str, str]] = []
            try:
                if not await still_allowed():
                    yield ServerSentEvent(notice("signed-out"), event="live")
                    yield ServerSentEvent("", event=CLOSE_EVENT)
                    return
                stamp = Stamp.of(await read_state())
                regions = changed_regions(shown, stamp, watch=watching)
                fragments = await render(regions) if regions else []
            except UpstreamProblem as exc:
                if exc.status in (403, 404):
                    yield ServerSentEvent(notice("gone"), event="live")
                    yield ServerSentEvent("", event=CLOSE_EVENT)
                    return
                log.warning("live console: the dialogue service refused a read: %s", exc)
                stamp = None
            except UpstreamUnavailable:
                stamp = None
            if stamp is None:
                if not in_outage:
                    in_outage = True
                    yield ServerSentEvent(notice("outage"), event="live")
            else:
                if in_outage:
                    in_outage = False
                    yield ServerSentEvent(notice("connected"), event="live")
                for region, html in fragments:
                    yield ServerSentEvent(html, event=region, id=str(stamp))
                if fragments:
                    yield ServerSentEvent(notice("updated"), event="live", id=str(stamp))
                shown = stamp
            await watch.wait(poll_seconds)
        yield ServerSentEvent(notice("closing"), event="live")
