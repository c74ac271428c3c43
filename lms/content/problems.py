"""Problems found in course files, each tied to a file (and a line when there is one)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a course file.

    ``file`` is relative to the folder that holds the course folders, so it starts with the
    course folder's name; ``line`` is 1-based, or 0 for a problem with a whole file or folder.
    """

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}: {self.message}"
        return f"{self.file}: {self.message}"


@dataclass
class Problems:
    """Collects problems while validation carries on, so every problem is reported at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, file: str, line: int | None, message: str) -> None:
        self.items.append(Problem(file, line or 0, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[Problem]:
        """The problems without duplicates, by file, line and message."""
        return sorted(set(self.items))


class CourseValidationError(Exception):
    """The course files have problems; nothing was written.

    :ivar problems: every problem found, sorted by file and line.
    """

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the course files")
        self.problems = problems
