"""Optimizers for networks trained on sparse input."""

import math

import torch
from torch.optim.optimizer import _get_scalar_dtype

from ._training.sparse_grad import column_major, locate


class LazyAdam(torch.optim.Adam):
    """Adam that updates only the entries a sparse gradient holds.

    Parameters with dense gradients get :class:`torch.optim.Adam`'s update
    unchanged (``fused=True`` included). A parameter with a sparse COO gradient
    (the first layer of a network trained on scipy.sparse input, see
    :class:`~sklprune.PrunedClassifier`) gets the lazy update of TensorFlow's
    ``LazyAdam`` and :class:`torch.optim.SparseAdam`: the moments and the weights of
    the entries the gradient holds are updated as Adam would, with the bias
    correction of the optimizer's step count; entries the batch did not touch keep
    their weight and their moments. A step then costs time in proportion to the
    touched entries instead of the whole layer.

    Lazy updates are chosen over Adam's dense update because an input column that
    a batch does not touch has a gradient of exactly zero there: the dense update
    would still move it by its stale momentum, at the cost of a pass over the
    whole layer. For text, where most columns are absent from most batches, the
    lazy update is the usual choice and reaches the same accuracy (see
    ``benchmarks/bench_sparse_input.py``).

    Weight decay on a sparse gradient is lazy too: ``weight_decay * w`` is added to
    the gradient of touched entries only (or, with
    ``decoupled_weight_decay=True``, touched weights shrink by
    ``lr * weight_decay``), so a weight decays in the steps whose batch uses its
    input column, not in the others.

    A sparse step stores a 2-D parameter and its moments column-major (the same
    values and shape; ``weight.t()`` becomes contiguous), so that an input
    column's weights and moments are contiguous in memory. Functions that need
    contiguous parameters (``torch.nn.utils.parameters_to_vector``) then need
    ``p.data = p.data.contiguous()`` first; :class:`~sklprune.PrunedClassifier`
    does it when training ends.

    Parameters
    ----------
    params, lr, betas, eps, weight_decay, foreach, maximize, capturable, \
differentiable, fused, decoupled_weight_decay
        As for :class:`torch.optim.Adam`.
    amsgrad : bool, default=False
        As for :class:`torch.optim.Adam`; not available for sparse gradients.

    Examples
    --------
    >>> import torch
    >>> from sklprune.optim import LazyAdam
    >>> weight = torch.nn.Parameter(torch.ones(2, 4))
    >>> optimizer = LazyAdam([weight], lr=0.1)
    >>> weight.grad = torch.sparse_coo_tensor([[0, 1], [1, 1]], [1.0, -1.0], (2, 4),
    ...                                       check_invariants=True)
    >>> optimizer.step()
    >>> weight.data
    tensor([[1.0000, 0.9000, 1.0000, 1.0000],
            [1.0000, 1.1000, 1.0000, 1.0000]])
    """

    @torch.no_grad()
    def step(self, closure=None):
        """Perform one optimization step.

        Parameters
        ----------
        closure : callable, default=None
            Re-evaluates the model and returns the loss.

        Returns
        -------
        loss : torch.Tensor or None
            What ``closure`` returned.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        sparse = [
            (group, p)
            for group in self.param_groups
            for p in group["params"]
            if p.grad is not None and p.grad.is_sparse
        ]
        grads = [p.grad for _, p in sparse]
        for _, p in sparse:
            p.grad = None
        try:
            super().step()
        finally:
            for (_, p), grad in zip(sparse, grads):
                p.grad = grad
        for group, p in sparse:
            self._lazy_update(p, group)
        return loss

    def _lazy_update(self, p, group):
        if group["amsgrad"]:
            raise ValueError(
                "LazyAdam does not support amsgrad=True for parameters with sparse "
                "gradients; use amsgrad=False."
            )
        state = self.state[p]
        if p.dim() == 2 and p.is_contiguous() and p.shape[0] > 1:
            p.data = column_major(p.data)
            for key in ("exp_avg", "exp_avg_sq"):
                if key in state:
                    state[key] = column_major(state[key])
        if not state:
            device = p.device if group["fused"] or group["capturable"] else None
            state["step"] = torch.zeros((), dtype=_get_scalar_dtype(), device=device)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(
                p, memory_format=torch.preserve_format
            )
        state["step"] += 1
        step = float(state["step"])
        lr, weight_decay, eps = float(group["lr"]), group["weight_decay"], group["eps"]
        beta1, beta2 = (float(b) for b in group["betas"])
        entries, grad = locate(p.grad)
        if group["maximize"]:
            grad = -grad
        touched = entries.get(p)
        if weight_decay and group["decoupled_weight_decay"]:
            touched.mul_(1 - lr * weight_decay)
        elif weight_decay:
            grad = grad.add(touched, alpha=weight_decay)
        m = entries.get(state["exp_avg"]).mul_(beta1).add_(grad, alpha=1 - beta1)
        v = entries.get(state["exp_avg_sq"]).mul_(beta2)
        v.addcmul_(grad, grad, value=1 - beta2)
        entries.put_(state["exp_avg"], m)
        entries.put_(state["exp_avg_sq"], v)
        denom = v.sqrt_().div_(math.sqrt(1 - beta2**step)).add_(eps)
        touched.addcdiv_(m, denom, value=-lr / (1 - beta1**step))
        entries.put_(p, touched)


class LazyAdamW(LazyAdam):
    """:class:`LazyAdam` with decoupled weight decay, as :class:`torch.optim.AdamW`.

    Examples
    --------
    >>> import torch
    >>> from sklprune.optim import LazyAdamW
    >>> optimizer = LazyAdamW([torch.nn.Parameter(torch.ones(2))])
    >>> optimizer.defaults["decoupled_weight_decay"], optimizer.defaults["weight_decay"]
    (True, 0.01)
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        **kwargs,
    ):
        kwargs["decoupled_weight_decay"] = True
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, **kwargs)
