"""ml.progress: start/finish lines with real elapsed times; rows, rate and ETA when not a terminal."""

from io import StringIO

import pytest

from ml.progress import Progress, format_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_step_prints_its_start_and_its_own_elapsed_time_when_it_finishes():
    out, clock = StringIO(), FakeClock()
    progress = Progress(stream=out, is_tty=False, clock=clock)
    with progress.step("segments") as step:
        clock.now += 30
        step.summary = "8 learned segments"
    with progress.step("tiers"):
        clock.now += 3
    progress.finish()

    lines = out.getvalue().splitlines()
    assert lines[0].endswith("] segments: started")
    assert lines[1].endswith("] segments: done in 30.0 s: 8 learned segments")
    assert lines[3].endswith("] tiers: done in 3.0 s")  # its own time, not the time since the start
    assert "33.0 s]" in lines[3] and lines[4].endswith("] done in 33.0 s")


def test_counted_work_reports_rows_rate_and_eta_at_most_once_per_interval():
    out, clock = StringIO(), FakeClock()
    progress = Progress(stream=out, is_tty=False, clock=clock, interval_s=10)
    with progress.step("review scoring", total=1000, unit="reviews") as step:
        for _ in range(4):
            clock.now += 5
            step.advance(100)

    text = out.getvalue()
    assert "review scoring: started (1,000 reviews)" in text
    # Two lines in 20 s at a 10 s interval; at 400 of 1000 after 20 s, 600 more take 30 s.
    assert "200/1,000 reviews, 10.0 s elapsed, 20.0 reviews/s, ETA 40.0 s" in text
    assert "400/1,000 reviews, 20.0 s elapsed, 20.0 reviews/s, ETA 30.0 s" in text
    assert text.count("reviews/s") == 2
    assert text.rstrip().endswith("review scoring: done in 20.0 s (400 reviews)")


def test_a_failing_step_says_so_with_its_error_and_the_error_propagates():
    out = StringIO()
    with pytest.raises(RuntimeError, match="disk full"), Progress(stream=out, is_tty=False).step("import orders"):
        raise RuntimeError("disk full")
    assert "import orders: FAILED after" in out.getvalue() and "RuntimeError: disk full" in out.getvalue()


def test_a_terminal_gets_a_tqdm_bar_and_still_the_finish_line():
    out = StringIO()
    progress = Progress(stream=out, is_tty=True)
    with progress.step("recommendations", unit="members") as step:
        step.update(500, 4314)  # the total arrives with the first batch
        step.update(4314, 4314)
    text = out.getvalue()
    assert "0/4314" in text and "members/s" in text and "\r" in text  # a tqdm bar, redrawn in place
    assert "recommendations: done in" in text and "(4,314 members)" in text


def test_quiet_progress_prints_nothing():
    with Progress.quiet().step("anything", total=3) as step:
        step.advance(3)


@pytest.mark.parametrize(("seconds", "text"), [(8.24, "8.2 s"), (185, "3 min 05 s"), (3725, "1 h 02 min")])
def test_durations_read_as_people_write_them(seconds, text):
    assert format_seconds(seconds) == text
