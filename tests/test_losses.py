import pytest
import torch
from torch import nn
from torch.nn import functional as F

from sklprune.losses import (
    LOSSES,
    REGRESSION_LOSSES,
    get_loss,
    supports_sample_weight,
    weighted_loss,
)

LOGITS = torch.tensor([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-1.0, 3.0, 0.0]])
TARGET = torch.tensor([0, 2, 0])


def _weighted_ce(logits, target, sample_weight=None):
    losses = F.cross_entropy(logits, target, reduction="none")
    if sample_weight is None:
        return losses.mean()
    return (losses * sample_weight).sum() / sample_weight.sum()


LOSS_CASES = [
    *sorted(LOSSES),
    nn.CrossEntropyLoss(label_smoothing=0.05),
    nn.NLLLoss(),
    _weighted_ce,
]


@pytest.mark.parametrize("loss", LOSS_CASES, ids=str)
def test_an_integer_weight_counts_a_sample_that_many_times(loss):
    loss = get_loss(loss)
    weights = torch.tensor([2.0, 1.0, 3.0])
    repeated = torch.repeat_interleave(torch.arange(3), weights.long())
    expected = loss(LOGITS[repeated], TARGET[repeated])
    got = weighted_loss(loss, LOGITS, TARGET, weights)
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("loss", LOSS_CASES, ids=str)
def test_equal_weights_give_the_plain_mean_and_zero_weights_drop_samples(loss):
    loss = get_loss(loss)
    torch.testing.assert_close(
        weighted_loss(loss, LOGITS, TARGET, torch.full((3,), 0.5)),
        loss(LOGITS, TARGET),
    )
    torch.testing.assert_close(
        weighted_loss(loss, LOGITS, TARGET, torch.tensor([0.0, 1.0, 1.0])),
        loss(LOGITS[1:], TARGET[1:]),
    )


def test_a_batch_of_zero_weights_has_zero_loss_and_no_gradient():
    logits = LOGITS.clone().requires_grad_()
    loss = weighted_loss(get_loss("focal"), logits, TARGET, torch.zeros(3))
    loss.backward()
    assert loss.item() == 0.0
    assert torch.equal(logits.grad, torch.zeros_like(logits))


def test_a_loss_without_weights_is_reported_not_guessed():
    def plain(logits, target):
        return F.cross_entropy(logits, target)

    loss = get_loss(plain)
    assert not supports_sample_weight(loss)
    assert loss(LOGITS, TARGET) == F.cross_entropy(LOGITS, TARGET)
    with pytest.raises(TypeError, match="cannot weight samples"):
        weighted_loss(loss, LOGITS, TARGET, torch.ones(3))


def test_a_torch_loss_that_is_not_per_sample_is_refused():
    class SumOfSquares(nn.MSELoss):
        def forward(self, logits, target):
            one_hot = F.one_hot(target, logits.shape[1]).float()
            return super().forward(logits, one_hot)

    with pytest.raises(ValueError, match="not one loss per sample"):
        weighted_loss(SumOfSquares(), LOGITS, TARGET, torch.ones(3))


# ------------------------------------------------------------------ regression

OUTPUT = torch.tensor([[0.5, -1.0], [2.0, 0.0], [-0.5, 1.5]])
VALUES = torch.tensor([[1.0, 0.0], [2.5, 1.0], [0.0, 2.0]])

REGRESSION_CASES = [*sorted(REGRESSION_LOSSES), nn.MSELoss(), nn.SmoothL1Loss()]


@pytest.mark.parametrize("loss", REGRESSION_CASES, ids=str)
def test_a_regression_weight_counts_a_sample_that_many_times(loss):
    loss = get_loss(loss, task="regression")
    weights = torch.tensor([2.0, 1.0, 3.0])
    repeated = torch.repeat_interleave(torch.arange(3), weights.long())
    expected = loss(OUTPUT[repeated], VALUES[repeated])
    torch.testing.assert_close(weighted_loss(loss, OUTPUT, VALUES, weights), expected)
    torch.testing.assert_close(
        weighted_loss(loss, OUTPUT, VALUES, torch.full((3,), 0.5)), loss(OUTPUT, VALUES)
    )


@pytest.mark.parametrize(
    "name, elementwise",
    [
        ("squared_error", lambda o, t: (o - t) ** 2),
        ("absolute_error", lambda o, t: (o - t).abs()),
        ("huber", lambda o, t: F.huber_loss(o, t, reduction="none")),
        ("poisson", lambda o, t: o.exp() - t * o),
    ],
)
def test_regression_losses_average_over_outputs_and_samples(name, elementwise):
    loss = get_loss(name, task="regression")
    torch.testing.assert_close(loss(OUTPUT, VALUES), elementwise(OUTPUT, VALUES).mean())


def test_regression_names_are_not_classification_names():
    with pytest.raises(ValueError, match="Valid names: 'squared_error'"):
        get_loss("cross_entropy", task="regression")
    with pytest.raises(ValueError, match="Valid names: 'cross_entropy'"):
        get_loss("squared_error")


def test_a_regression_loss_refuses_output_and_target_of_other_shapes():
    with pytest.raises(ValueError, match=r"y.reshape\(-1, 1\)"):
        get_loss("squared_error", task="regression")(OUTPUT[:, :1], VALUES[:, 0])
