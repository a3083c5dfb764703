"""Where the bot keeps member ids, and what forgetting a member does to each place: the one
declaration `!mydata`, `!forgetme` and `!privacy` are built from. A column that holds a
member id and is not declared here fails a test (tests/storage/test_personal_data.py).

Records name members by user id only, so forgetting is a matter of ids: a personal row is
deleted, a shared record keeps its text and loses the id (shown as "a former member").
Nothing is ever found or rewritten by matching display names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm.attributes import InstrumentedAttribute

from storage.models import (
    AccessHolding,
    AgendaItem,
    AirtimeDay,
    AuditEntry,
    AuditMember,
    BudgetEntry,
    Checkin,
    CheckinAnswer,
    Circle,
    CountedMessage,
    Decision,
    DecisionAnswer,
    DirectChat,
    Dissent,
    EntrySprint,
    Experiment,
    ExperimentAnswer,
    ForgetRequest,
    GalleryMark,
    GalleryPattern,
    GalleryWalk,
    Knowledge,
    Meeting,
    MeetingCall,
    Member,
    Note,
    OutboxMessage,
    Pair,
    Poll,
    PollOption,
    PollResponse,
    ReflectionAsked,
    ReflectionRound,
    Role,
    RoleRecall,
    RoleSwap,
    RoleTerm,
    SecondRequest,
    StackEntry,
    Task,
    TaskCompletion,
    TrustSprint,
)


def N_(message: str) -> str:
    """Marks words for the message catalogues (`bot/catalogues.py`); storage never
    translates, `handlers/personal.py` does when it shows them."""
    return message


class Forget(StrEnum):
    """What `!forgetme` does to a place that holds the member's id."""

    DELETE = "deleted"  # the row is theirs alone
    NULL = "kept, by a former member"  # a shared record: the id goes, the record stays
    ROOM = "kept while you are in the room"  # the room itself shows it; gone for rooms left
    OWN = "handled by its practice"  # a practice-specific rule, in storage.personal.forget


@dataclass(frozen=True)
class Holds:
    """One column that holds a member's user id."""

    column: InstrumentedAttribute[Any]
    forget: Forget
    what: str  # plain words, for `!privacy` and `!mydata`
    kept: str = ""  # how long, when that is not "until forgotten or the room is left"

    @property
    def model(self) -> Any:
        return self.column.class_

    @property
    def name(self) -> str:
        return f"{self.model.__tablename__}.{self.column.key}"


DECLARED: tuple[Holds, ...] = (
    # Who is in which room.
    Holds(Member.user_id, Forget.ROOM, N_("your membership: display name, first seen, away")),
    Holds(DirectChat.user_id, Forget.DELETE, N_("our direct chat (its room id)")),
    Holds(
        ForgetRequest.user_id, Forget.DELETE, N_("a pending `!forgetme` request"), N_("10 minutes")
    ),
    Holds(
        OutboxMessage.direct_to,
        Forget.DELETE,
        N_("direct messages to you not yet delivered"),
        N_("until delivered"),
    ),
    # Airtime: counts only.
    Holds(AirtimeDay.user_id, Forget.DELETE, N_("messages and words per day (counts, no text)")),
    Holds(
        CountedMessage.user_id,
        Forget.DELETE,
        N_("ids of your counted messages, to uncount a deleted one"),
        N_("30 days"),
    ),
    # Labour and knowledge.
    Holds(Task.created_by, Forget.NULL, N_("tasks you added")),
    Holds(Task.claimed_by, Forget.OWN, N_("tasks you claimed (reopened when forgotten)")),
    Holds(TaskCompletion.user_id, Forget.NULL, N_("work you logged")),
    Holds(Knowledge.user_id, Forget.DELETE, N_("what you know or are learning")),
    Holds(
        AccessHolding.user_id,
        Forget.DELETE,
        N_("resources you hold access to (never the access itself)"),
    ),
    Holds(AccessHolding.added_by, Forget.NULL, N_("access you recorded for members")),
    Holds(Circle.started_by, Forget.NULL, N_("circles of shadows you started")),
    Holds(Circle.ended_by, Forget.NULL, N_("circles of shadows you stopped")),
    Holds(Pair.learner_id, Forget.NULL, N_("cross-training pairs you learned in")),
    Holds(Pair.holder_id, Forget.NULL, N_("cross-training pairs you taught in")),
    # Roles.
    Holds(Role.created_by, Forget.NULL, N_("roles you defined")),
    Holds(RoleTerm.user_id, Forget.OWN, N_("your role terms (a held role is released)")),
    Holds(RoleSwap.from_user, Forget.DELETE, N_("swap requests")),
    Holds(RoleRecall.holder, Forget.NULL, N_("recalls of your role terms")),
    Holds(RoleRecall.asked_by, Forget.NULL, N_("recalls you asked for")),
    Holds(RoleRecall.next_holder, Forget.NULL, N_("role terms you took after a recall")),
    Holds(RoleSwap.to_user, Forget.DELETE, N_("swap requests")),
    Holds(RoleSwap.asked_by, Forget.DELETE, N_("swap requests")),
    # Meetings.
    Holds(Meeting.started_by, Forget.NULL, N_("meetings you started")),
    Holds(StackEntry.user_id, Forget.DELETE, N_("your turns on speaking stacks")),
    Holds(Poll.created_by, Forget.NULL, N_("polls you asked")),
    Holds(Poll.closed_by, Forget.NULL, N_("polls you closed")),
    Holds(
        PollResponse.user_id,
        Forget.DELETE,
        N_("your answers to open polls (which option, nothing else)"),
        N_("until the poll closes"),
    ),
    Holds(MeetingCall.called_by, Forget.NULL, N_("meetings you called")),
    Holds(MeetingCall.cancelled_by, Forget.NULL, N_("meetings you cancelled")),
    Holds(AgendaItem.added_by, Forget.NULL, N_("agenda items you put forward")),
    Holds(AgendaItem.dropped_by, Forget.NULL, N_("agenda items you dropped")),
    # Decisions, notes, budget, the two-member rule, the audit log.
    Holds(Decision.author, Forget.NULL, N_("proposals and decisions you made")),
    Holds(Decision.closed_by, Forget.NULL, N_("proposals you closed")),
    Holds(Decision.seconded_by, Forget.NULL, N_("early closes you seconded")),
    Holds(
        DecisionAnswer.user_id,
        Forget.OWN,
        N_("your answers to proposals (answers to open ones are withdrawn)"),
    ),
    Holds(Dissent.user_id, Forget.NULL, N_("dissent you recorded")),
    Holds(Note.author, Forget.NULL, N_("notes you kept")),
    Holds(Note.deleted_by, Forget.NULL, N_("notes you erased")),
    Holds(BudgetEntry.author, Forget.NULL, N_("budget entries you recorded")),
    Holds(BudgetEntry.deleted_by, Forget.NULL, N_("budget entries you removed")),
    Holds(SecondRequest.requested_by, Forget.OWN, N_("requests you made (pending ones end)")),
    Holds(SecondRequest.seconded_by, Forget.OWN, N_("requests you seconded, or about you")),
    Holds(AuditEntry.actor, Forget.NULL, N_("audit log entries of what you did")),
    Holds(AuditMember.user_id, Forget.NULL, N_("audit log entries that concern you")),
    # Rituals.
    Holds(
        ReflectionAsked.user_id,
        Forget.OWN,
        N_("that you were asked in a reflection round and whether you answered (never what)"),
        N_("until the round closes"),
    ),
    Holds(
        CheckinAnswer.user_id,
        Forget.DELETE,
        N_("your check-in answers (green, yellow, red)"),
        N_("until the check-in closes"),
    ),
    Holds(
        EntrySprint.user_id, Forget.OWN, N_("your entry sprint (kept while you are in the room)")
    ),
    Holds(
        GalleryMark.user_id,
        Forget.DELETE,
        N_("your dots in a gallery walk"),
        N_("until the walk ends"),
    ),
    Holds(GalleryWalk.started_by, Forget.NULL, N_("gallery walks you started")),
    Holds(GalleryWalk.ended_by, Forget.NULL, N_("gallery walks you ended")),
    Holds(Experiment.started_by, Forget.NULL, N_("experiments you started")),
    Holds(ExperimentAnswer.user_id, Forget.DELETE, N_("your answers to experiment reviews")),
    Holds(TrustSprint.started_by, Forget.NULL, N_("trust audit sprints you started")),
    Holds(TrustSprint.ended_by, Forget.NULL, N_("trust audit sprints you ended")),
)

# Columns that look like they could hold a member's id but do not, and why.
NOT_MEMBERS: dict[str, str] = {
    "collectives.room_id": "a room",
    "collectives.name": "the room's name (a direct chat's name is cleared when forgotten)",
    "collectives.account": "the bot account serving the room",
    "collectives.power_levels": "the room's own power levels and creators, as the room shows them",
    "outbox.room_id": "a room",
    "outbox.account": "the bot account sending it",
    "outbox.txn_id": "a transaction id",
    "sync_tokens.account": "a bot account",
    "sync_tokens.device_id": "the bot's device",
    "direct_chats.account": "a bot account",
    "direct_chats.room_id": "a room",
    "members.display_name": "kept with members.user_id",
    "decisions.members_counted": "how many members a closed proposal counted, a number",
    "gallery_patterns.event_id": "the bot's own message",
    "gallery_marks.event_id": "a reaction, deleted with the dot",
    "processed_events.event_id": "an event handled, for 30 days, with no sender",
    "gallery_walks.reactors": "a count of members",
    "polls.event_id": "the bot's own poll event",
    "polls.members": "a count of members",
    "polls.ref": "what a practice's poll is about (a decision's number)",
    "second_requests.payload": "what a request changes; one about a member (`!bot @x`) names "
    "them, and storage.seconds.forget takes the id out",
    "counted_messages.event_id": "deleted with counted_messages.user_id",
    "meeting_calls.uid": "the calendar file's id of a called meeting",
}

# How a table without a collective_id column reaches one: (its link, the parent model).
PARENTS: dict[Any, tuple[InstrumentedAttribute[Any], Any]] = {
    RoleTerm: (RoleTerm.role_id, Role),
    RoleSwap: (RoleSwap.role_id, Role),
    ExperimentAnswer: (ExperimentAnswer.experiment_id, Experiment),
    StackEntry: (StackEntry.meeting_id, Meeting),
    PollOption: (PollOption.poll_id, Poll),
    PollResponse: (PollResponse.poll_id, Poll),
    DecisionAnswer: (DecisionAnswer.decision_id, Decision),
    Dissent: (Dissent.decision_id, Decision),
    AuditMember: (AuditMember.entry_id, AuditEntry),
    ReflectionAsked: (ReflectionAsked.round_id, ReflectionRound),
    CheckinAnswer: (CheckinAnswer.checkin_id, Checkin),
    GalleryMark: (GalleryMark.pattern_id, GalleryPattern),
    GalleryPattern: (GalleryPattern.walk_id, GalleryWalk),
}

# Kept about a person with no collective: a direct chat, a request, a message to them.
UNSCOPED = frozenset({DirectChat, ForgetRequest, OutboxMessage})


def in_collectives(model: Any, collective_ids: list[int]) -> ColumnElement[bool]:
    """Rows of `model` that belong to one of the collectives."""
    if model in PARENTS:
        link, parent = PARENTS[model]
        parent_id = parent.__mapper__.primary_key[0]
        return link.in_(select(parent_id).where(in_collectives(parent, collective_ids)))
    column: ColumnElement[Any] = model.collective_id
    return column.in_(collective_ids)


def by_model() -> dict[Any, list[Holds]]:
    """The declaration grouped by table, in declaration order."""
    out: dict[Any, list[Holds]] = {}
    for holds in DECLARED:
        out.setdefault(holds.model, []).append(holds)
    return out
