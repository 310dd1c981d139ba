"""The in-process rate limiter: a sliding window per key, bounded memory."""

from __future__ import annotations

from feedback.web.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_blocks_after_the_limit_and_frees_when_the_window_passes() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    for _ in range(3):
        assert not limiter.blocked("k")
        limiter.fail("k")
    assert limiter.blocked("k")
    assert limiter.retry_after("k") == 60
    clock.now += 30
    assert limiter.blocked("k") and limiter.retry_after("k") == 30
    clock.now += 30
    assert not limiter.blocked("k") and limiter.retry_after("k") == 0


def test_window_slides_one_failure_at_a_time() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 60, clock=clock)
    limiter.fail("k")
    clock.now += 40
    limiter.fail("k")
    assert limiter.blocked("k")
    clock.now += 21  # the first failure has left the window, the second has not
    assert not limiter.blocked("k")
    limiter.fail("k")
    assert limiter.blocked("k")


def test_keys_are_counted_separately_and_reset_forgets_one() -> None:
    limiter = RateLimiter(1, 60, clock=Clock())
    limiter.fail(("alice@example.org", "10.0.0.1"))
    assert limiter.blocked(("alice@example.org", "10.0.0.1"))
    assert not limiter.blocked(("alice@example.org", "10.0.0.2"))
    assert not limiter.blocked(("bob@example.org", "10.0.0.1"))
    limiter.reset(("alice@example.org", "10.0.0.1"))
    assert not limiter.blocked(("alice@example.org", "10.0.0.1"))


def test_memory_stays_bounded_under_a_flood_of_new_keys() -> None:
    limiter = RateLimiter(1, 60, clock=Clock(), max_keys=100)
    for n in range(1000):
        limiter.fail(f"ip-{n}")
    assert len(limiter._hits) == 100
    assert limiter.blocked("ip-999") and not limiter.blocked("ip-0")
