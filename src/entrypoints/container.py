"""The composition root: which adapter stands behind each port, and how use cases are built."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.asyncpg.queries import AsyncpgInboxQueries
from adapters.cursors import HmacCursorCodec
from adapters.email.message import DigestComposer
from adapters.email.smtp import AiosmtplibSender
from adapters.jwt.tokens import JwtTokenIssuer, JwtTokenVerifier
from adapters.memory import InMemoryInboxQueries, InMemoryStore, InMemoryUnitOfWork
from adapters.socketio.managers import HoldingManager, HoldingRedisManager
from adapters.socketio.publisher import SocketIoPublisher
from adapters.socketio.server import SocketServer
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.queries import SqlAlchemyInboxQueries
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.sqlalchemy.upkeep import ReplayIndexUpkeep
from adapters.system import SystemClock, UuidFactory
from adapters.unsubscribe import HmacUnsubscribeTokens
from adapters.urgency import Urgency
from application.comments.add_comment import AddComment
from application.delivery.events_since import EventsSince
from application.delivery.relay_events import InlineRelay, InOrder, RelayEvents
from application.email.schedule import EmailSchedule
from application.email.send_due_emails import SendDueEmails
from application.email.unsubscribe import Unsubscribe
from application.leads.assign_lead import AssignLead
from application.leads.create_lead import CreateLead
from application.leads.get_lead import GetLead
from application.leads.lead_notifications import LeadNotifications, Receipts
from application.leads.list_leads import ListLeads
from application.leads.update_lead_score import UpdateLeadScore
from application.notifications.apply_deferred_changes import ApplyDeferredChanges
from application.notifications.archive_notification import (
    ArchiveNotification,
    UnarchiveNotification,
)
from application.notifications.confirm_delivery import ConfirmDelivery
from application.notifications.delete_notification import DeleteNotification
from application.notifications.get_unread_count import GetUnreadCount
from application.notifications.inbox_counts import GetInboxCounts
from application.notifications.list_notifications import ListNotifications
from application.notifications.mark_all_as_read import MarkAllAsRead
from application.notifications.mark_all_as_seen import MarkAllAsSeen
from application.notifications.mark_as_read import MarkAsRead
from application.notifications.mark_as_unread import MarkAsUnread
from application.notifications.mark_group_as_read import MarkGroupAsRead
from application.notifications.notification_feed import NotificationFeed
from application.notifications.notification_groups import NotificationGroups
from application.ports import NotificationPublisher
from application.preferences.get_preferences import GetPreferences
from application.preferences.set_preference import SetPreference
from application.retention.purge import PurgeOlderThan
from application.tasks.complete_task import CompleteTask
from application.tasks.create_task import CreateTask
from application.users.register_user import RegisterUser
from entrypoints.auth import Authenticator
from entrypoints.deferred import DeferredChanges
from entrypoints.delivery import BackgroundRelay
from entrypoints.emails import EmailScheduler
from entrypoints.live_events import LiveEvents
from entrypoints.loop_lag import GcPauses, LoopLagMonitor
from entrypoints.metrics import Metrics
from entrypoints.rate_limit import InMemoryRateLimiter, make_rate_limiter
from entrypoints.realtime import DeliveryConfirmations, Realtime
from entrypoints.retention import DailyPurge
from entrypoints.settings import Settings
from entrypoints.upkeep import ReplayIndexUpkeepLoop

InboxQueriesAdapter = AsyncpgInboxQueries | SqlAlchemyInboxQueries | InMemoryInboxQueries


def configured_origin(configured: Sequence[str]) -> Callable[[str], bool]:
    """Whether a browser origin is one of CORS_ORIGINS; `*` allows every origin, as it does for
    HTTP (Litestar's CORS). The one rule for Socket.IO and GraphQL's WebSocket alike."""
    trusted = frozenset(configured)
    if "*" in trusted:
        return lambda origin: True
    return trusted.__contains__


def allowed_origin(configured: Sequence[str]) -> Callable[[str, dict[str, Any]], bool]:
    """Which browser origins may open a socket: those of CORS_ORIGINS, and Herald's own (the
    page at `/` is served by the same address it connects to). A browser always sends the
    `Host` it connects to, so a page of another site never passes for the same origin."""
    is_configured = configured_origin(configured)

    def allowed(origin: str, environ: dict[str, Any]) -> bool:
        if is_configured(origin):
            return True
        host = environ.get("HTTP_HOST")
        return host is not None and origin == f"{environ.get('wsgi.url_scheme', 'http')}://{host}"

    return allowed


def make_socketio_server(settings: Settings, urgency: Urgency) -> SocketServer:
    manager = (
        HoldingRedisManager(settings.redis_url, channel="herald", urgency=urgency)
        if settings.redis_url
        else HoldingManager(urgency=urgency)
    )
    return SocketServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=allowed_origin(settings.cors_origins),
        # A client's events are handled as its frames are read, with no task each: its one
        # event, a delivery confirmation, is noted at once (behind a burst a thousand clients
        # confirm within a tenth of a second).
        async_handlers=False,
        # Named loggers: with `False` the libraries would add handlers of their own.
        logger=logging.getLogger("herald.socketio"),
        engineio_logger=logging.getLogger("herald.engineio"),
    )


def make_in_order(settings: Settings, publisher: SocketIoPublisher) -> InOrder | None:
    """Publishing at commit, for a process that publishes alone: one without Redis."""
    return None if settings.redis_url else InOrder(publisher)


def _relay_publisher(
    in_order: InOrder | None, publisher: SocketIoPublisher
) -> NotificationPublisher:
    return publisher if in_order is None else in_order


def make_email_schedule(settings: Settings) -> EmailSchedule | None:
    """The email channel is on when SMTP_URL is set."""
    if settings.smtp is None:
        return None
    return EmailSchedule(timedelta(seconds=settings.email_delay_seconds))


def make_email_sender(settings: Settings, composer: DigestComposer) -> AiosmtplibSender:
    if settings.smtp is None:
        raise RuntimeError("no SMTP_URL: there is no mail server to send to")
    return AiosmtplibSender(settings.smtp, composer)


def make_replay_index_upkeep(engine: AsyncEngine) -> ReplayIndexUpkeepLoop | None:
    """On PostgreSQL, the replay index's upkeep (SQLite's outbox has no such index)."""
    if engine.dialect.name != "postgresql":
        return None
    return ReplayIndexUpkeepLoop(ReplayIndexUpkeep(engine))


def make_inbox_queries(database_url: str, engine: AsyncEngine) -> InboxQueriesAdapter:
    """The read side: asyncpg straight on PostgreSQL, the engine's connections elsewhere."""
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
        return AsyncpgInboxQueries(database_url)
    return SqlAlchemyInboxQueries(engine)


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    # Infrastructure
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(UuidFactory)
    engine = providers.Singleton(make_engine, settings.provided.database_url)
    session_factory = providers.Singleton(make_session_factory, engine)
    # A unit of work presses while it is open; delivery puts smaller slices meanwhile.
    urgency = providers.Singleton(Urgency)
    socketio_server = providers.Singleton(make_socketio_server, settings, urgency)
    memory_store = providers.Singleton(InMemoryStore)  # used only by `in_memory` containers
    metrics = providers.Singleton(Metrics)  # a registry per app: see entrypoints/metrics.py
    rate_limiter = providers.Singleton(make_rate_limiter, settings)  # Redis when REDIS_URL is set
    # How long the event loop keeps work waiting, and the garbage collector's pauses.
    loop_lag = providers.Singleton(LoopLagMonitor, metrics.provided.event_loop_lag.observe)
    gc_pauses = providers.Singleton(GcPauses, metrics.provided.observe_gc_pause)

    # Adapters
    uow = providers.Factory(SqlAlchemyUnitOfWork, session_factory, urgency=urgency)
    # Reads answer from committed state without a unit of work; built once, as is each read.
    inbox_queries = providers.Singleton(make_inbox_queries, settings.provided.database_url, engine)
    publisher = providers.Singleton(SocketIoPublisher, socketio_server)
    token_verifier = providers.Singleton(
        JwtTokenVerifier,
        secret=settings.provided.jwt_secret,
        issuer=settings.provided.jwt_issuer,
        audience=settings.provided.jwt_audience,
    )
    token_issuer = providers.Singleton(  # the inbox page's development sign-in
        JwtTokenIssuer,
        secret=settings.provided.jwt_secret,
        issuer=settings.provided.jwt_issuer,
        audience=settings.provided.jwt_audience,
    )
    # Keyed from the same secret (the codec derives a key of its own), so every process agrees.
    cursor_codec = providers.Singleton(HmacCursorCodec, settings.provided.jwt_secret)

    # Use cases
    register_user = providers.Factory(RegisterUser, uow=uow, clock=clock)
    create_lead = providers.Factory(CreateLead, uow=uow, clock=clock, ids=ids)
    get_lead = providers.Factory(GetLead, uow=uow)
    list_leads = providers.Factory(ListLeads, uow=uow)
    assign_lead = providers.Factory(AssignLead, uow=uow, clock=clock)
    update_lead_score = providers.Factory(UpdateLeadScore, uow=uow, clock=clock, ids=ids)
    create_task = providers.Factory(CreateTask, uow=uow, clock=clock, ids=ids)
    complete_task = providers.Factory(CompleteTask, uow=uow, clock=clock, ids=ids)
    add_comment = providers.Factory(AddComment, uow=uow, clock=clock, ids=ids)
    get_preferences = providers.Factory(GetPreferences, uow=uow)
    set_preference = providers.Factory(SetPreference, uow=uow)
    list_notifications = providers.Singleton(ListNotifications, inbox_queries)
    notification_feed = providers.Singleton(NotificationFeed, inbox_queries, cursor_codec)
    get_unread_count = providers.Singleton(GetUnreadCount, inbox_queries)
    mark_as_read = providers.Factory(MarkAsRead, uow=uow, clock=clock)
    mark_all_as_read = providers.Factory(MarkAllAsRead, uow=uow, clock=clock)
    delete_notification = providers.Factory(DeleteNotification, uow=uow)
    # Engagement and groups
    notification_groups = providers.Singleton(NotificationGroups, inbox_queries, cursor_codec)
    inbox_counts = providers.Singleton(GetInboxCounts, inbox_queries)
    lead_notifications = providers.Singleton(LeadNotifications, inbox_queries)
    receipts = providers.Singleton(Receipts, inbox_queries)
    mark_as_unread = providers.Factory(MarkAsUnread, uow=uow, clock=clock)
    archive_notification = providers.Factory(ArchiveNotification, uow=uow, clock=clock)
    unarchive_notification = providers.Factory(UnarchiveNotification, uow=uow, clock=clock)
    mark_all_as_seen = providers.Factory(MarkAllAsSeen, uow=uow, clock=clock)
    mark_group_as_read = providers.Factory(MarkGroupAsRead, uow=uow, clock=clock)
    confirm_delivery = providers.Factory(ConfirmDelivery, uow=uow, clock=clock)

    authenticator = providers.Singleton(
        Authenticator, verifier=token_verifier, register_user=register_user.provider
    )

    # Delivery: every unit of work that commits events wakes the relay, which publishes them.
    # A process without Redis is the only one to publish: it publishes its commits' events at
    # once (in order), and its relay marks them.
    in_order = providers.Singleton(make_in_order, settings, publisher)
    relay_events = providers.Factory(
        RelayEvents,
        uow=uow.provider,
        publisher=providers.Callable(_relay_publisher, in_order, publisher),
    )
    relay = providers.Singleton(BackgroundRelay, relay_events.provider, in_order=in_order)
    uow.add_kwargs(relay=relay)
    # Once the relay has published, the replay index's new entries are merged off the turn.
    replay_index_upkeep = providers.Singleton(make_replay_index_upkeep, engine)
    events_since = providers.Factory(EventsSince, uow=uow)

    # markAllAsRead answered with a mark on PostgreSQL: its entries are written afterwards, as
    # soon as the commit that left them wakes the loop.
    apply_deferred_changes = providers.Factory(ApplyDeferredChanges, uow=uow.provider)
    deferred_changes = providers.Singleton(DeferredChanges, apply_deferred_changes.provider)
    uow.add_kwargs(deferred=deferred_changes)

    # Retention: `herald purge`, and the daily purge of `herald serve`.
    purge_older_than = providers.Factory(PurgeOlderThan, uow=uow.provider, clock=clock)
    daily_purge = providers.Singleton(
        DailyPurge, purge_older_than.provider, settings.provided.retention_days
    )

    # Email: each notification schedules its emails (when SMTP_URL is set), and the scheduler
    # of `herald serve` writes each recipient's due email, then sends them.
    email_schedule = providers.Singleton(make_email_schedule, settings)
    for _notifying in (create_lead, update_lead_score, complete_task, add_comment):
        _notifying.add_kwargs(emails=email_schedule)
    del _notifying
    # Keyed from the server secret, as the cursors are: every process agrees on a link.
    unsubscribe_tokens = providers.Singleton(HmacUnsubscribeTokens, settings.provided.jwt_secret)
    digest_composer = providers.Singleton(
        DigestComposer,
        settings.provided.email_from,
        settings.provided.public_base_url,
        unsubscribe_tokens,
    )
    email_sender = providers.Singleton(make_email_sender, settings, digest_composer)
    send_due_emails = providers.Factory(
        SendDueEmails, uow=uow.provider, sender=email_sender, clock=clock
    )
    email_scheduler = providers.Singleton(EmailScheduler, send_due_emails.provider, metrics)
    unsubscribe = providers.Factory(Unsubscribe, uow=uow)

    live_events = providers.Singleton(LiveEvents, socketio_server.provided.manager)
    # Socket.IO connection attempts per client address, in this process.
    connect_limiter = providers.Singleton(
        InMemoryRateLimiter, settings.provided.socket_connects_per_second
    )
    realtime = providers.Singleton(
        Realtime,
        server=socketio_server,
        authenticator=authenticator,
        events_since=events_since.provider,
        connect_limiter=connect_limiter,
        max_sockets_per_user=settings.provided.max_sockets_per_user,
        confirmations=providers.Singleton(DeliveryConfirmations, confirm_delivery.provider),
    )


def in_memory(container: Container) -> Container:
    """The same container with the in-memory store (`memory_store`) standing in for the
    database."""
    container.uow.override(
        providers.Factory(InMemoryUnitOfWork, container.memory_store, relay=container.relay)
    )
    container.inbox_queries.override(
        providers.Singleton(InMemoryInboxQueries, container.memory_store)
    )
    return container


def inline_delivery(container: Container) -> Container:
    """Events published before each use case returns, instead of by a background task: what
    tests that assert on the publisher want."""
    container.relay.override(providers.Singleton(InlineRelay, container.relay_events))
    return container
