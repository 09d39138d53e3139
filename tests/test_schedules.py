import pytest

from sklprune.schedules import (
    IterativeSchedule,
    OneShotSchedule,
    PolynomialSchedule,
    get_schedule,
)


def test_polynomial_follows_the_cubic_formula_of_zhu_and_gupta():
    schedule = PolynomialSchedule(0.9, start_epoch=3, end_epoch=12)
    n = 10
    for epoch in range(3, 13):
        k = epoch - 2
        assert schedule(epoch) == pytest.approx(0.9 * (1 - (1 - k / n) ** 3))
    assert schedule(2) == 0.0
    assert schedule(12) == pytest.approx(0.9)
    assert schedule(40) == pytest.approx(0.9)


def test_polynomial_with_frequency_holds_between_steps():
    schedule = PolynomialSchedule(0.8, start_epoch=1, end_epoch=7, frequency=3)
    assert schedule.step_epochs() == [1, 4, 7]
    assert schedule(2) == schedule(1) < schedule(4) == schedule(5) < schedule(7)
    assert schedule(7) == pytest.approx(0.8)


def test_iterative_takes_equal_steps():
    schedule = IterativeSchedule(0.6, start_epoch=2, end_epoch=4)
    assert [schedule(e) for e in range(1, 6)] == pytest.approx([0, 0.2, 0.4, 0.6, 0.6])


def test_one_shot_prunes_at_start_epoch():
    schedule = OneShotSchedule(0.7, start_epoch=5, end_epoch=9)
    assert [schedule(e) for e in (4, 5, 9)] == [0.0, 0.7, 0.7]


def test_schedule_is_monotone():
    schedule = get_schedule("polynomial", 0.95, 1, 30)
    values = [schedule(e) for e in range(35)]
    assert values == sorted(values)


def _halfway(epoch):
    return 0.5 if epoch >= 2 else 0.0


def _too_much(epoch):
    return 1.5


def test_a_function_is_a_schedule_and_its_values_are_checked():
    assert get_schedule(_halfway, 0.9, 1, 5)(3) == 0.5
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        get_schedule(_too_much, 0.9, 1, 5)(1)


def test_unknown_schedule_lists_the_valid_names():
    with pytest.raises(ValueError, match="'one_shot', 'iterative', 'polynomial'"):
        get_schedule("cosine", 0.9, 1, 5)
