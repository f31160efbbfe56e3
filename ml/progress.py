"""Progress for long commands: a tqdm bar with an ETA on a terminal, plain lines otherwise.

    progress = Progress()                        # stdout; a bar when it is a TTY
    with progress.step("review scoring", total=18_783, unit="reviews") as step:
        for batch in batches:
            ...
            step.advance(len(batch))
        step.summary = "18783 reviews scored"    # printed on the finish line

Every step prints a start line and a finish line with its real elapsed time (and the time since
the Progress began), so a log read later says what took how long. Counted steps also report rows
done, rate and ETA: a redrawn bar on a terminal, or one line at most every ``interval_s`` seconds
when the output is a file or a pipe (`make demo > log`, CI). Plain Python: ml/ never imports Django,
and members/ management commands use the same helper.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

PLAIN_INTERVAL_S = 10.0  # at most one progress line per step per this many seconds when not a TTY


def format_seconds(seconds: float) -> str:
    """'8.2 s', '3 min 05 s', '1 h 02 min'."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Step:
    """One named piece of work; `advance(n)` / `update(done, total)` report rows done."""

    def __init__(self, progress: Progress, name: str, *, total: int | None, unit: str) -> None:
        self.progress, self.name, self.total, self.unit = progress, name, total, unit
        self.done = 0
        self.summary = ""
        self.started = progress.clock()
        self.last_line = self.started
        self.bar = None
        if progress.is_tty and total:
            self._open_bar()

    def _open_bar(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=self.total, unit=f" {self.unit}", desc=f"  {self.name}", file=self.progress.stream,
                        dynamic_ncols=True, leave=False, mininterval=0.5)
        self.bar.update(self.done)

    def update(self, done: int, total: int | None = None) -> None:
        """Absolute progress: `done` of `total` (a total may arrive only once the work knows it)."""
        if total is not None and total != self.total:
            self.total = total
            if self.bar is not None:
                self.bar.total = total
                self.bar.refresh()
            elif self.progress.is_tty and total:
                self._open_bar()
        self.advance(done - self.done)

    def advance(self, rows: int = 1) -> None:
        self.done += rows
        if self.bar is not None:
            self.bar.update(rows)
            return
        now = self.progress.clock()
        if now - self.last_line >= self.progress.interval_s:
            self.last_line = now
            self.progress.line(f"{self.name}: {self.rate_text(now)}")

    def rate_text(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        text = f"{self.done:,}" + (f"/{self.total:,}" if self.total else "") + f" {self.unit}"
        text += f", {format_seconds(elapsed)} elapsed, {self.done / elapsed:,.1f} {self.unit}/s"
        if self.total and self.done:
            remaining = max(self.total - self.done, 0) * elapsed / self.done
            text += f", ETA {format_seconds(remaining)}"
        return text

    def close(self, error: BaseException | None) -> None:
        if self.bar is not None:
            self.bar.close()
        now = self.progress.clock()
        took = format_seconds(now - self.started)
        if error is not None:
            self.progress.line(f"{self.name}: FAILED after {took}: {type(error).__name__}: {error}")
            return
        rows = f" ({self.done:,} {self.unit})" if self.total or self.done else ""
        self.progress.line(f"{self.name}: done in {took}{rows}" + (f": {self.summary}" if self.summary else ""))


class Progress:
    """Start/finish lines per step, stamped with the time since this Progress began."""

    def __init__(self, *, stream: TextIO | None = None, is_tty: bool | None = None,
                 interval_s: float = PLAIN_INTERVAL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stdout
        if is_tty is None:
            isatty = getattr(self.stream, "isatty", None)
            is_tty = bool(isatty and isatty())
        self.is_tty, self.interval_s, self.clock = is_tty, interval_s, clock
        self.started = clock()

    @classmethod
    def quiet(cls) -> Progress:
        """A Progress that prints nothing (Celery tasks, callers that report otherwise)."""
        return cls(stream=_Discard(), is_tty=False)

    def line(self, text: str) -> None:
        self.stream.write(f"[{format_seconds(self.clock() - self.started):>12}] {text}\n")
        self.stream.flush()

    def step(self, name: str, *, total: int | None = None, unit: str = "rows") -> _StepContext:
        return _StepContext(self, name, total=total, unit=unit)

    def finish(self, what: str = "done") -> None:
        self.line(f"{what} in {format_seconds(self.clock() - self.started)}")


class _StepContext:
    def __init__(self, progress: Progress, name: str, *, total: int | None, unit: str) -> None:
        self.progress, self.args = progress, (name, total, unit)

    def __enter__(self) -> Step:
        name, total, unit = self.args
        self.progress.line(f"{name}: started" + (f" ({total:,} {unit})" if total else ""))
        self.step = Step(self.progress, name, total=total, unit=unit)
        return self.step

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.step.close(exc)
        return False


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
