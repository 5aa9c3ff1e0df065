"""A progress bar on stderr for the long generation steps."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress


class Progress:
    def __init__(self, label: str, total: int):
        self._progress = RichProgress(
            TextColumn(f"{label:>18}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=False
        )
        self._task = self._progress.add_task(label, total=total)

    def __enter__(self) -> Progress:
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)
