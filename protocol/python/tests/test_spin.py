"""AdaptiveSpin on a simulated clock: it spins only for a client in a loop, and only while that is quicker."""

import pytest

from gym_bridge.spin import AdaptiveSpin

WINDOW = 200e-6


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def serve(spin, clock, requests, gap, handle=10e-6):
    """Simulates `requests` requests: the server handles each for `handle` s and replies; the next one
    arrives `gap(spinning)` s after the reply, where `spinning` says whether the server checked first."""
    spun, messages = [], []
    for _ in range(requests):
        window = spin.next_spin_seconds()
        spun.append(window > 0)
        clock.now += gap(window > 0)
        message = spin.request_arrived()
        if message:
            messages.append(message)
        clock.now += handle
        spin.replied()
    return spun, messages


def test_a_machine_where_spinning_answers_sooner_keeps_spinning():
    clock = Clock()
    spin = AdaptiveSpin(WINDOW, clock=clock)
    spun, messages = serve(spin, clock, 3000, lambda spinning: 60e-6 if spinning else 120e-6)
    assert spin.spin_pays and all(spun[-1000:])
    blocking, spinning = spin.last_means
    assert spinning == pytest.approx(70e-6) and blocking == pytest.approx(130e-6)
    assert len(messages) == 1 and "now spinning" in messages[0]


def test_a_machine_where_blocking_answers_sooner_stops_spinning():
    clock = Clock()
    spin = AdaptiveSpin(WINDOW, clock=clock)
    spun, messages = serve(spin, clock, 3000, lambda spinning: 150e-6 if spinning else 100e-6)
    assert not spin.spin_pays and not any(spun[-1000:])
    # The measurement itself: 3 trials of 200 requests each way, then the choice.
    assert sum(spun[:1300]) >= 600 and not any(spun[1300:])
    assert len(messages) == 1 and "now blocking" in messages[0]


def test_a_client_that_computes_between_steps_is_never_spun_on_or_measured():
    clock = Clock()
    spin = AdaptiveSpin(WINDOW, clock=clock)
    spun, messages = serve(spin, clock, 2000, lambda spinning: 5e-3)  # 5 ms of updates between steps
    assert not any(spun) and not messages and spin.last_means is None


def test_the_choice_is_measured_again_after_the_recheck_interval():
    clock = Clock()
    spin = AdaptiveSpin(WINDOW, recheck_seconds=1.0, clock=clock)
    serve(spin, clock, 2000, lambda spinning: 150e-6 if spinning else 100e-6)
    assert not spin.spin_pays
    clock.now += 2.0  # the machine's load changed; now spinning pays
    spun, messages = serve(spin, clock, 3000, lambda spinning: 50e-6 if spinning else 100e-6)
    assert spin.spin_pays and all(spun[-1000:]) and "now spinning" in messages[-1]


def test_a_pause_in_the_loop_counts_in_no_trial():
    clock = Clock()
    spin = AdaptiveSpin(WINDOW, clock=clock)
    # Blocking is quicker, but the spinning trials see no pauses while every blocking request after a
    # timeout would look slow if it were counted.
    for _ in range(40):
        serve(spin, clock, 50, lambda spinning: 150e-6 if spinning else 100e-6)
        spin.receive_timed_out()
        clock.now += 0.5
    assert spin.last_means is not None and not spin.spin_pays


def test_no_window_always_blocks():
    clock = Clock()
    spin = AdaptiveSpin(0.0, clock=clock)
    spun, _ = serve(spin, clock, 500, lambda spinning: 1e-6)
    assert not any(spun)
    with pytest.raises(ValueError):
        AdaptiveSpin(-1.0)
