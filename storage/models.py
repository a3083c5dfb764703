"""SQLAlchemy models. Every time is UTC; no message body is ever a column here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
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


class Task(Base):
    """A task on the collective's open list (added, claimed, or done and kept for reopening)."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("collective_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # open | claimed | done
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskCompletion(Base):
    """One line of the labour ledger: who did which task, of which kind, when."""

    __tablename__ = "task_completions"
    __table_args__ = (Index("ix_task_completions_collective_done", "collective_id", "done_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Knowledge(Base):
    """A member's declaration that they know, or are learning, an area."""

    __tablename__ = "knowledge"
    __table_args__ = (UniqueConstraint("collective_id", "user_id", "area"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    area: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))  # knows | learning
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class Role(Base):
    """A bounded role: a scope, a term length, and a holder that rotates."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("collective_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(Text, default="")
    term: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoleTerm(Base):
    """One member's term in a role; the open one (no `ended_at`) is the current holder."""

    __tablename__ = "role_terms"
    __table_args__ = (Index("ix_role_terms_role_started", "role_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(255))  # None: a former member (ended)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    how: Mapped[str] = mapped_column(String(16))  # rotation | draw | claim | swap
    handover_notes: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoleSwap(Base):
    """A proposed hand-over of a role, waiting for the other member's `!accept`."""

    __tablename__ = "role_swaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    from_user: Mapped[str] = mapped_column(String(255))  # who gives the role up
    to_user: Mapped[str] = mapped_column(String(255))  # who takes it
    asked_by: Mapped[str] = mapped_column(String(255))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AirtimeDay(Base):
    """Messages and words one member sent in one collective on one local day. No bodies."""

    __tablename__ = "airtime_days"
    __table_args__ = (UniqueConstraint("collective_id", "user_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    day: Mapped[date] = mapped_column(Date)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    words: Mapped[int] = mapped_column(Integer, default=0)


class CountedMessage(Base):
    """Which event was counted where, so a redaction can be uncounted (kept 30 days; no body)."""

    __tablename__ = "counted_messages"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    day: Mapped[date] = mapped_column(Date)
    words: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Meeting(Base):
    """A live meeting: it scopes the speaking stack."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StackEntry(Base):
    """A member waiting to speak; `called_at` is set when `!next` gives them the floor."""

    __tablename__ = "stack_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Decision(Base):
    """A proposal (`!propose`) or a decision taken elsewhere (`!decision`), one numbering.

    `number` is the #N members see, per collective. A proposal opens with status `open`
    and closes `adopted` or `rejected`, or is `withdrawn`; a recorded decision starts
    `adopted`. `adopted_at` stays set when an adopted decision is later withdrawn. The
    tally columns are the snapshot taken when it stopped being open.
    """

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("collective_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # proposal | record
    status: Mapped[str] = mapped_column(String(16))  # open | adopted | rejected | withdrawn
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    rule: Mapped[str | None] = mapped_column(String(16))  # consent | majority | unanimity
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(255))
    closed_early: Mapped[bool] = mapped_column(Boolean, default=False)
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(Text)
    tally_agree: Mapped[int | None] = mapped_column(Integer)
    tally_abstain: Mapped[int | None] = mapped_column(Integer)
    tally_object: Mapped[int | None] = mapped_column(Integer)
    tally_block: Mapped[int | None] = mapped_column(Integer)


class DecisionAnswer(Base):
    """A member's current answer to a proposal; a changed answer replaces the old one."""

    __tablename__ = "decision_answers"
    __table_args__ = (UniqueConstraint("decision_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    answer: Mapped[str] = mapped_column(String(16))  # agree | abstain | object | block
    reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Dissent(Base):
    """Dissent attached to a decision, at any time after it was opened or recorded."""

    __tablename__ = "dissents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decisions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Note(Base):
    """A meeting note (`!note`), numbered per collective. Erasing one blanks its text and
    keeps a tombstone: its number, when it was taken, who erased it and when."""

    __tablename__ = "notes"
    __table_args__ = (
        UniqueConstraint("collective_id", "number"),
        Index("ix_notes_collective_at", "collective_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    author: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    text: Mapped[str] = mapped_column(Text)  # "" once erased
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(255))  # who seconded the erasure


class BudgetEntry(Base):
    """One line of the budget ledger. The amount is exact: integer cents, never a float.

    SQLite keeps NUMERIC values as binary floating point, so a Numeric column would
    round sums there; whole cents sum exactly on both databases. Use `amount`. Erasing an
    entry blanks it (amount 0, no description) and keeps a tombstone: its number, who
    erased it and when.
    """

    __tablename__ = "budget_entries"
    __table_args__ = (
        UniqueConstraint("collective_id", "number"),
        Index("ix_budget_entries_collective_at", "collective_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # spend | income
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # positive; 0 once erased
    currency: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(Text)  # "" once erased
    author: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(255))  # who seconded the erasure

    @property
    def amount(self) -> Decimal:
        """The amount as an exact Decimal with two places, e.g. Decimal('12.30')."""
        return Decimal(self.amount_cents).scaleb(-2)


class SecondRequest(Base):
    """An operation on shared records waiting for a second member's `!second N` (24 h).

    `payload` is JSON describing the target (ids, numbers, new values). Exactly one of
    `carried_out_at` and `lapsed_at` ends it; `seconded_at` is set when confirmed.
    """

    __tablename__ = "second_requests"
    __table_args__ = (UniqueConstraint("collective_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))  # e.g. "delete note"
    payload: Mapped[str] = mapped_column(Text, default="{}")
    requested_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconded_by: Mapped[str | None] = mapped_column(String(255))
    seconded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    carried_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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


class ReflectionRound(Base):
    """A round of anonymous reflection: open from `opened_at` until `closes_at`.

    Its times are the round's; nothing finer is kept about any answer. `answered` is
    how many members answered, kept when it closes (who answered is then forgotten).
    """

    __tablename__ = "reflection_rounds"
    __table_args__ = (
        Index("ix_reflection_rounds_collective_closed", "collective_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    prompts: Mapped[str] = mapped_column(Text)  # JSON list of the prompts asked
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # published | discarded (too few answered) | unopenable (the sealing key was lost)
    outcome: Mapped[str | None] = mapped_column(String(16))
    answered: Mapped[int | None] = mapped_column(Integer)


class ReflectionAsked(Base):
    """Who was asked in an open round and how many answers they gave: only to stop
    more than `MAX_PARTS`; never linked to an answer (the answers are sealed while the
    round is open), and deleted when the round closes."""

    __tablename__ = "reflection_asked"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("reflection_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    parts: Mapped[int] = mapped_column(Integer, default=0)


class ReflectionAnswer(Base):
    """One anonymous answer: its round and its text, nothing else. The key is random
    (and redrawn for the round's answers whenever one is added), so neither the key
    nor where the row lies tells the order answers came in.

    While the round is open the text is `sealed` (`storage/sealing.py`: encrypted with a
    key outside the database, padded to one size) and `text` is empty; once the round is
    published the opened texts are kept in `text` (they are in the room now) and `sealed`
    is empty. An answer kept before sealing existed (revision 0013) has its `text` until
    the round's next answer seals it too."""

    __tablename__ = "reflection_answers"

    id: Mapped[int] = mapped_column(RANDOM_KEY, primary_key=True, autoincrement=False)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("reflection_rounds.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str | None] = mapped_column(Text)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class Campaign(Base):
    """An intense campaign (`!campaign start` / `!campaign end`); a check-in follows its end."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Checkin(Base):
    """A decompression check-in: members are asked their capacity by DM; the room sees
    only the counts, kept here when it closes."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    green: Mapped[int | None] = mapped_column(Integer)
    yellow: Mapped[int | None] = mapped_column(Integer)
    red: Mapped[int | None] = mapped_column(Integer)
    unanswered: Mapped[int | None] = mapped_column(Integer)


class CheckinAnswer(Base):
    """A member asked in a check-in, and their answer (green, yellow or red) once given.
    Kept with their name, as rotation skips a red answer; deleted two weeks after the
    check-in closes."""

    __tablename__ = "checkin_answers"
    __table_args__ = (UniqueConstraint("checkin_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    answer: Mapped[str | None] = mapped_column(String(8))  # green | yellow | red


class EntrySprint(Base):
    """A newcomer's entry sprint: a collaborator, not yet in rotation, until `!member`."""

    __tablename__ = "entry_sprints"
    __table_args__ = (Index("ix_entry_sprints_collective_user", "collective_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ForgetRequest(Base):
    """`!forgetme` waiting for `!forgetme confirm` until `expires_at`."""

    __tablename__ = "forget_requests"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GalleryWalk(Base):
    """A silent gallery walk (circle of shadows): the month's patterns posted one message
    each, marked by members with reactions until `ends_at`; one open walk per collective.
    `reactors` is how many members put at least one dot, kept when it ends."""

    __tablename__ = "gallery_walks"
    __table_args__ = (Index("ix_gallery_walks_collective_ended", "collective_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: the schedule, or former
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    period_first: Mapped[date] = mapped_column(Date)
    period_last: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(255))  # None: its time was up
    reactors: Mapped[int | None] = mapped_column(Integer)


class GalleryPattern(Base):
    """One pattern of a walk: the bot's own sentence about the group (aggregates, no
    names), the event id of its message once the bot saw it, and the counts at the end."""

    __tablename__ = "gallery_patterns"
    __table_args__ = (UniqueConstraint("walk_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    walk_id: Mapped[int] = mapped_column(ForeignKey("gallery_walks.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(255), index=True)
    red: Mapped[int | None] = mapped_column(Integer)
    blue: Mapped[int | None] = mapped_column(Integer)
    green: Mapped[int | None] = mapped_column(Integer)


class GalleryMark(Base):
    """A dot on a pattern while its walk is open: who, which colour, and the reaction's
    event id (so a removed reaction is taken back). Deleted when the walk ends; only the
    counts stay."""

    __tablename__ = "gallery_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pattern_id: Mapped[int] = mapped_column(
        ForeignKey("gallery_patterns.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(255))
    colour: Mapped[str] = mapped_column(String(8))  # red | blue | green
    event_id: Mapped[str] = mapped_column(String(255), unique=True)


class Experiment(Base):
    """A structural experiment (`!experiment`), numbered per collective. When its time is
    up a proposal "keep, change or drop" opens (`review_number`); its result is kept here
    once that proposal closes."""

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("collective_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(Text)
    duration: Mapped[str] = mapped_column(String(8))  # as typed: 2w, 1m
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_number: Mapped[int | None] = mapped_column(Integer)  # the proposal #N
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(16))  # adopted | rejected | withdrawn
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TrustSprint(Base):
    """A trust audit sprint (`!sprint start` / `!sprint end`): a cycle of deliberately
    widened participation, compared at its end with the equal period before it."""

    __tablename__ = "trust_sprints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    started_by: Mapped[str | None] = mapped_column(String(255))  # None: a former member
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(255))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
