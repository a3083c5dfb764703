"""The one error a member ever sees from parsing: what was wrong and how to write it."""

from __future__ import annotations


class UsageError(ValueError):
    """Input that does not fit a command; the message is shown to the member.

    `final`: stop looking for another reading of the line (a near-miss such as
    `#invisble`, which must not quietly become part of a name).
    """

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final
        self.depth = -1  # how many arguments the failed reading had converted


class Mismatch(UsageError):
    """This word is not this kind of argument; another reading of the line may fit.

    Shown only when no reading fits and no argument had anything more specific to say.
    """
