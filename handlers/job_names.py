"""How a scheduled job is named to members (`!status`, a failure notice): its key is a
stable name in code and in the database (occurrences), its words are in the language."""

from __future__ import annotations

from handlers.i18n import N_, _

JOB_WORDS = {
    "rotation": N_("weekly role rotation"),
    "handover-reminder": N_("handover reminder"),
    "powermap": N_("monthly power map"),
    "reflection": N_("monthly reflection round"),
    "reflection-tick": N_("reflection round reminder and close"),
    "checkin-tick": N_("check-in after a campaign"),
    "entry-tick": N_("entry sprint review"),
    "gallery": N_("monthly gallery walk"),
    "gallery-close": N_("gallery walk close"),
    "decision-close": N_("proposal close"),
    "decision-reminder": N_("proposal reminder"),
    "decision-review": N_("review of an adopted decision"),
    "experiment-review": N_("experiment review"),
    "role-recall": N_("recall outcome"),
    "second-lapse": N_("lapse of unseconded requests"),
    "circle": N_("monthly circle of shadows"),
    "circle-step": N_("next step of the circle of shadows"),
    "pair-reminder": N_("cross-training pair reminder"),
    "poll-close": N_("poll close"),
    "meeting-tick": N_("meeting reminders and time notices"),
}


def job_word(job: str) -> str:
    """A job as members read it; a job with no words yet by its key."""
    return _(JOB_WORDS[job]) if job in JOB_WORDS else job.replace("-", " ")
