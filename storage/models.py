"""SQLAlchemy models. Every time is UTC; no message body is ever a column here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SyncToken(Base):
    """The `next_batch` token, committed in the same transaction as the batch's effects."""

    __tablename__ = "sync_tokens"

    account: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_batch: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device_id: Mapped[str | None] = mapped_column(String(255))  # the device it last ran as


class Collective(Base):
    """A room the bot has joined: one collective, or a direct chat with one member."""

    __tablename__ = "collectives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    is_direct: Mapped[bool] = mapped_column(Boolean, default=False)
    joined: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    introduced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    power_levels: Mapped[str | None] = mapped_column(Text)  # JSON snapshot of room power levels
    # The bot account that serves the room (several may share one database); a room is
    # served by one account at a time, the first that joined it.
    account: Mapped[str | None] = mapped_column(String(255), index=True)


class Member(Base):
    """A room member as seen in room state; the bot itself is never one."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("collective_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    joined: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Other bots are not members of the collective: marked by a member ("bot" or "human"),
    # else listed in the config ("listed"), else taken for a bot when they have only ever
    # sent notices.
    marked: Mapped[str | None] = mapped_column(String(8))
    sent_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sent_notice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def is_bot(self) -> bool:
        if self.marked is not None:
            return self.marked in ("bot", "listed")
        return self.sent_notice and not self.sent_text


class ProcessedEvent(Base):
    """Event ids already acted on, so a redelivered event is not acted on twice."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Occurrence(Base):
    """One due run of a scheduled job; the unique key makes it run exactly once."""

    __tablename__ = "occurrences"
    __table_args__ = (UniqueConstraint("job", "collective_id", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean, default=False)


class JobAnchor(Base):
    """When a job was first scheduled for a collective: no occurrence before it is owed."""

    __tablename__ = "job_anchors"
    __table_args__ = (UniqueConstraint("job", "collective_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A message committed with its cause and deleted only once the homeserver accepted it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    txn_id: Mapped[str] = mapped_column(String(128), unique=True)
    event_type: Mapped[str] = mapped_column(String(64), default="m.room.message")
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)  # e.g. a chart, uploaded at send
    attachment_type: Mapped[str | None] = mapped_column(String(64))
    # A direct message to this user: the sender opens (or reuses) the direct chat and
    # fills in its room; `room_id` is empty until then.
    direct_to: Mapped[str | None] = mapped_column(String(255))
    account: Mapped[str | None] = mapped_column(String(255), index=True)  # who sends it


class AuditEntry(Base):
    """Who changed which shared record, and when: an action key and its parameters, never
    a sentence, so it is worded (with current display names) when read, and forgetting a
    member nulls ids instead of rewriting text."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_collective_at", "collective_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    # The member who acted; None: the bot on its own (`automatic`) or a former member.
    actor: Mapped[str | None] = mapped_column(String(255), index=True)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    action: Mapped[str] = mapped_column(String(64))  # a key of handlers.audit_actions.ACTIONS
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON: numbers, names of things
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditMember(Base):
    """A member an audit entry concerns (besides who acted), by role in its wording."""

    __tablename__ = "audit_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("audit_log.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(255), index=True)  # None: former


# A key drawn at random, never counted up: a 64-bit integer (on SQLite exactly `INTEGER
# PRIMARY KEY`, the row id itself, so no hidden row id keeps the order rows came in).
RANDOM_KEY: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")


class DirectChat(Base):
    """The bot's direct chat with a person: the room, once it exists, and which
    collective their answers there are for when they said so (`!for`)."""

    __tablename__ = "direct_chats"
    __table_args__ = (UniqueConstraint("account", "user_id", name="uq_direct_chats_account"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str | None] = mapped_column(String(255))  # each bot account has its own
    user_id: Mapped[str] = mapped_column(String(255))
    room_id: Mapped[str | None] = mapped_column(String(255))  # None: not opened (or left)
    focus_collective_id: Mapped[int | None] = mapped_column(
        ForeignKey("collectives.id", ondelete="SET NULL")
    )
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ForgetRequest(Base):
    """`!forgetme` waiting for `!forgetme confirm` until `expires_at`."""

    __tablename__ = "forget_requests"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The practices' tables are declared with their queries, each in its practice's storage
# module, on this one `Base`. They are imported here, after it, so that `Base.metadata`
# (Alembic's, the tests') holds every table, and `from storage.models import Task` works;
# `storage/__init__.py` loads this module first, whichever storage module is asked for.
from storage.access import AccessHolding  # noqa: E402
from storage.agenda import AgendaItem  # noqa: E402
from storage.airtime import AirtimeDay, CountedMessage  # noqa: E402
from storage.budget import BudgetEntry  # noqa: E402
from storage.checkins import Campaign, Checkin, CheckinAnswer  # noqa: E402
from storage.circles import Circle  # noqa: E402
from storage.decisions import Decision, DecisionAnswer, Dissent  # noqa: E402
from storage.entry import EntrySprint  # noqa: E402
from storage.experiments import Experiment, ExperimentAnswer  # noqa: E402
from storage.gallery import GalleryMark, GalleryPattern, GalleryWalk  # noqa: E402
from storage.knowledge import Knowledge  # noqa: E402
from storage.labour import Task, TaskCompletion  # noqa: E402
from storage.meeting_calls import MeetingCall  # noqa: E402
from storage.meetings import Meeting, StackEntry  # noqa: E402
from storage.notes import Note  # noqa: E402
from storage.pairs import Pair  # noqa: E402
from storage.polls import Poll, PollOption, PollResponse  # noqa: E402
from storage.recalls import RoleRecall  # noqa: E402
from storage.reflection import ReflectionAnswer, ReflectionAsked, ReflectionRound  # noqa: E402
from storage.roles import Role, RoleSwap, RoleTerm  # noqa: E402
from storage.seconds import SecondRequest  # noqa: E402
from storage.sprints import TrustSprint  # noqa: E402

__all__ = [
    "NAMING",
    "RANDOM_KEY",
    "AccessHolding",
    "AgendaItem",
    "AirtimeDay",
    "AuditEntry",
    "AuditMember",
    "Base",
    "BudgetEntry",
    "Campaign",
    "Checkin",
    "CheckinAnswer",
    "Circle",
    "Collective",
    "CountedMessage",
    "Decision",
    "DecisionAnswer",
    "DirectChat",
    "Dissent",
    "EntrySprint",
    "Experiment",
    "ExperimentAnswer",
    "ForgetRequest",
    "GalleryMark",
    "GalleryPattern",
    "GalleryWalk",
    "JobAnchor",
    "Knowledge",
    "Meeting",
    "MeetingCall",
    "Member",
    "Note",
    "Occurrence",
    "OutboxMessage",
    "Pair",
    "Poll",
    "PollOption",
    "PollResponse",
    "ProcessedEvent",
    "ReflectionAnswer",
    "ReflectionAsked",
    "ReflectionRound",
    "Role",
    "RoleRecall",
    "RoleSwap",
    "RoleTerm",
    "SecondRequest",
    "StackEntry",
    "SyncToken",
    "Task",
    "TaskCompletion",
    "TrustSprint",
]
