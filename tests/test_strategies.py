import pytest
import torch

from sklprune.strategies import (
    FisherStrategy,
    FunctionStrategy,
    GradientStrategy,
    MagnitudeStrategy,
    PruningStrategy,
    StatisticsAccumulator,
    get_strategy,
)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("magnitude", MagnitudeStrategy),
        ("gradient", GradientStrategy),
        ("fisher", FisherStrategy),
    ],
)
def test_names_resolve_to_strategies(name, cls):
    assert isinstance(get_strategy(name), cls)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="'magnitude', 'gradient', 'fisher', 'random'"):
        get_strategy("snip")


def test_non_callable_is_a_type_error():
    with pytest.raises(TypeError, match="strategy must be"):
        get_strategy(3)


def test_strategy_asking_for_unknown_statistics_is_rejected():
    class NeedsHessian(PruningStrategy):
        statistics = ("hessian",)

    with pytest.raises(ValueError, match="unknown statistics"):
        get_strategy(NeedsHessian())


def test_function_is_wrapped():
    def negative(weights, statistics):
        return {n: -w for n, w in weights.items()}

    strategy = get_strategy(negative)
    assert isinstance(strategy, FunctionStrategy)
    assert strategy.score({"w": torch.ones(1)}, {})["w"].item() == -1


def test_fisher_is_half_fisher_times_squared_weight():
    weights = {"w": torch.tensor([2.0, -1.0])}
    stats = {"grad_sq": {"w": torch.tensor([0.5, 8.0])}}
    assert torch.allclose(
        FisherStrategy().score(weights, stats)["w"], torch.tensor([1.0, 4.0])
    )


def test_accumulator_means_taylor_and_squared_gradients_over_batches():
    acc = StatisticsAccumulator(["taylor", "grad_sq"])
    w = torch.tensor([1.0, -2.0])
    acc.update({"w": w}, {"w": torch.tensor([1.0, 1.0])})
    acc.update({"w": w}, {"w": torch.tensor([-3.0, 0.0])})
    means = acc.means()
    assert torch.allclose(means["taylor"]["w"], torch.tensor([2.0, 1.0]))
    assert torch.allclose(means["grad_sq"]["w"], torch.tensor([5.0, 0.5]))
    acc.reset()
    assert acc.means()["taylor"] == {}


def test_squared_float16_gradients_are_summed_without_underflow():
    acc = StatisticsAccumulator(["grad_sq", "taylor"])
    w = torch.ones(3, dtype=torch.float16)
    g = torch.full((3,), 1e-4, dtype=torch.float16)
    acc.update({"w": w}, {"w": g})
    means = acc.means()
    expected = float(g[0]) ** 2
    assert means["grad_sq"]["w"].dtype == torch.float32
    assert torch.allclose(means["grad_sq"]["w"], torch.full((3,), expected))
    assert torch.allclose(means["taylor"]["w"], torch.full((3,), float(g[0])))


def test_small_bfloat16_additions_are_not_lost_in_the_sum():
    acc = StatisticsAccumulator(["taylor"])
    w = torch.ones(2, dtype=torch.bfloat16)
    acc.update({"w": w}, {"w": torch.full((2,), 256.0, dtype=torch.bfloat16)})
    for _ in range(255):
        acc.update({"w": w}, {"w": torch.ones(2, dtype=torch.bfloat16)})
    # (256 + 255 * 1) / 256 batches; a bfloat16 sum would stay at 256.
    assert torch.allclose(acc.means()["taylor"]["w"], torch.full((2,), 511 / 256))
