"""The shared bookkeeping of the resumable fine-tuning loops (train/session_loop.py)."""

from __future__ import annotations

from engine.stylegan.train.session_loop import SessionLoop


def test_runs_the_rest_of_the_schedule_and_saves_once_at_the_end():
    saved: list[int] = []
    loop = SessionLoop(saved.append, total_steps=5, minutes=10.0)
    assert list(loop.steps(2)) == [2, 3, 4]  # a resumed run: steps 0 and 1 were done
    assert saved == [5]


def test_a_finished_run_runs_nothing_and_still_saves_where_it_is():
    saved: list[int] = []
    assert list(SessionLoop(saved.append, 5, 10.0).steps(5)) == []
    assert saved == [5]


def test_a_stop_request_ends_the_session_before_the_next_step_with_its_state_saved():
    saved: list[int] = []
    asked = {"stop": False}
    loop = SessionLoop(saved.append, 100, 10.0, should_stop=lambda: asked["stop"])
    done = []
    for step in loop.steps(0):
        done.append(step)
        if step == 3:
            asked["stop"] = True  # SIGTERM arrives while step 3 runs
    assert done == [0, 1, 2, 3]
    assert saved == [4]  # resumes at step 4, nothing run twice or lost


def test_saves_every_few_seconds_between_steps_and_stops_when_the_time_is_spent():
    saved: list[int] = []
    loop = SessionLoop(saved.append, 10, 10.0, save_every_s=0.0)
    assert list(loop.steps(7)) == [7, 8, 9]
    assert saved == [8, 9, 10, 10]
    out_of_time = SessionLoop(saved.append, 10, minutes=1e-9)
    assert list(out_of_time.steps(0)) == [] and saved[-1] == 0
    assert out_of_time.seconds >= 0
