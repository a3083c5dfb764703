"""What each table of the database holds, in plain words: the host's side of `!privacy`.

Kept in English, as the database is; tests/handlers/test_general.py checks it covers every
table and column that exists."""

from __future__ import annotations

# What each table holds, in plain words; tests/handlers/test_general.py checks this covers
# every table and column that exists, so `!privacy` stays exactly true.
KEPT = {
    "collectives": "the room: its id, name, power levels, whether it is a direct chat, "
    "and when the bot joined, left and introduced itself",
    "members": "each member: user id, display name, when first seen and last changed, "
    "absences, and whether they are a bot (marked, or only ever sent notices)",
    "airtime_days": "per member and day: how many messages and words they sent here",
    "counted_messages": "for 30 days after a message is counted: its event id, sender, day "
    "and word count (never its text), so a deleted message can be taken back out",
    "processed_events": "for 30 days: the ids of events already handled, direct chats "
    "included, so nothing is acted on twice",
    "tasks": "tasks on the list: name, kind, status, who added and claimed them, when",
    "task_completions": "work logged: task, kind, who, when",
    "knowledge": "who knows or is learning which area, since when",
    "access_holdings": "who holds access to which resource, who recorded it, when (never "
    "the access itself)",
    "circles": "circles of shadows run as one session: who started or stopped one (or "
    "that the schedule did), its step and when that step ends",
    "pairs": "cross-training pairs: the area, who learns it from whom, when it started, "
    "whether both were reminded, and when it was done or dropped",
    "roles": "roles: name, scope, term, who created them, when",
    "role_terms": "who held which role when, how they got it, handover notes, reminders",
    "role_swaps": "swap requests: role, from whom, to whom, who asked, when",
    "experiment_answers": "answers to an experiment's review: member, keep, change (and how) "
    "or drop, when",
    "role_recalls": "recalls of a role holder: role, term, holder, who asked, proposal, "
    "outcome, next holder",
    "meetings": "meetings: who started them, when they started and ended",
    "meeting_calls": "meetings called ahead: when, the topic, who called and who cancelled "
    "them, the calendar file's id, whether the reminder went out",
    "agenda_items": "agenda items: the item, planned minutes, who put it forward or dropped "
    "it, when it was taken up and closed",
    "stack_entries": "the speaking stack: who asked for the floor, when, when called",
    "decisions": "proposals and decisions: number, text, author, rule, dates, outcome, tally",
    "decision_answers": "answers to proposals: who, which answer, the reason given, when",
    "dissents": "dissent attached to decisions: who, the reason, when",
    "notes": "meeting notes: number, text, author, meeting, when; an erased note keeps only "
    "its number, author and time, who erased it and when (its text is blanked)",
    "budget_entries": "budget entries: amount, currency, what for, who, when; an erased entry "
    "keeps only its number, kind, author and date, who erased it and when (its amount and "
    "description are blanked)",
    "second_requests": "requests waiting for a second member: what, who asked, who seconded, when",
    "audit_log": "a log of who changed which shared record, and when: the member's user "
    "id, what was done as a key (never a sentence with names in it) and its numbers or the "
    "name of the thing changed, worded with today's display names when read",
    "audit_members": "the user ids of the members an audit log entry concerns (whom a "
    "role went to, whose request was seconded)",
    "outbox": "the bot's own messages until the homeserver has accepted them (for a direct "
    "message: to whom)",
    "sync_tokens": "where the bot is in the room's history",
    "occurrences": "when each scheduled ritual ran",
    "job_anchors": "since when each scheduled ritual applies",
    "direct_chats": "for each person the bot has a direct chat with: the room, and which "
    "group their answers there are for when they said so",
    "reflection_rounds": "reflection rounds: when each opened and closes, the prompts, "
    "whether the reminder went out, and once closed how many answered and whether the "
    "answers were posted",
    "reflection_asked": "while a round is open: who was asked and how many answers each "
    "gave, never which; deleted when the round closes",
    "reflection_answers": "reflection answers: the text and its round, with no name, no "
    "time and no order; while the round is open the text is sealed (encrypted with a key "
    "kept outside the database, padded to one length); deleted unread when a round has "
    "too few",
    "campaigns": "campaigns: name, when they started and ended",
    "checkins": "check-ins: when, after which campaign, and the counts of each answer",
    "checkin_answers": "who was asked at a check-in and their answer (green, yellow or "
    "red), until two weeks after it closes",
    "entry_sprints": "newcomers' entry sprints: who, when they start and end, when the "
    "group looked back",
    "forget_requests": "who asked to be forgotten, for the minutes until they confirm",
    "gallery_walks": "gallery walks: who started one (or that the schedule did), the period "
    "its patterns cover, when it started and ends, who closed it early, and once it ended "
    "how many members put dots",
    "gallery_patterns": "the patterns of each gallery walk: the bot's own sentences about the "
    "group (counts, no names), the event id of each pattern's message, and once the walk "
    "ended how many members put each colour on it",
    "gallery_marks": "while a gallery walk is open: who put which coloured dot on which "
    "pattern, with the reaction's event id (so a removed one is taken back); deleted when "
    "the walk ends, leaving only the counts",
    "polls": "polls: number, question, who asked and who closed it, when it opened and "
    "closes, the event id of the poll, and once closed how many members answered",
    "poll_options": "each poll's options as written, and once it closed each one's count",
    "poll_responses": "while a poll is open: who chose which option (nothing else); deleted "
    "when it closes, leaving only the counts",
    "experiments": "structural experiments: number, the change as written, how long it "
    "runs, who started it, when, the number of the proposal or decision that reviews it, "
    "when its review closes, its result (keep, change or drop), the change chosen, and the "
    "experiments it follows or continues as",
    "trust_sprints": "trust audit sprints: name, who started and ended them, when",
}
