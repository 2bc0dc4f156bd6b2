"""When a resumable fine-tuning loop (`gan-align`, `gan-distil`, `gan-degrid`, `gan-slider`)
runs its next step, saves its state and stops.

One place for the rules they share: a session ends at the end of the schedule, when its time
allowance is spent or when asked to stop (SIGTERM, the studio's cancel), checked before every
step; the state is saved every few minutes, so a killed session loses little, and once at the
end, so the next session resumes exactly where this one stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

SAVE_EVERY_S = 300.0  # a session killed without warning loses at most this much work


class SessionLoop:
    """`for step in loop.steps(first): …` runs the steps this session may run."""

    def __init__(
        self,
        save: Callable[[int], None],  # writes the state after `step` steps
        total_steps: int,  # the schedule's length (a resumed run counts what it did)
        minutes: float,  # this session's time allowance
        should_stop: Callable[[], bool] | None = None,  # polled before every step
        save_every_s: float = SAVE_EVERY_S,
    ) -> None:
        self.save, self.total_steps, self.minutes = save, int(total_steps), float(minutes)
        self.should_stop, self.save_every_s = should_stop, float(save_every_s)
        self.start = time.monotonic()

    @property
    def seconds(self) -> float:
        """Seconds since the loop was made (the session's own time, for status lines)."""
        return time.monotonic() - self.start

    def _over(self) -> bool:
        if self.should_stop is not None and self.should_stop():
            return True
        return self.seconds >= self.minutes * 60

    def steps(self, step: int) -> Iterator[int]:
        """Yield `step`, `step + 1`, … while the schedule and the session allow; save every
        `save_every_s` and once when done (also when nothing was left to run)."""
        last_save = time.monotonic()
        while step < self.total_steps and not self._over():
            yield step
            step += 1
            if time.monotonic() - last_save > self.save_every_s:
                self.save(step)
                last_save = time.monotonic()
        self.save(step)
