"""How the pruned estimators build their network, its skorch net and the training
data: a mixin of :class:`~sklprune._estimator.BasePrunedEstimator`."""

import torch
from sklearn.model_selection import train_test_split
from skorch.callbacks import ProgressBar

from ..callbacks import PruningCallback
from ..masks import find_targets
from ..modules import MLP
from .auto import resolve_max_epochs, resolve_strategy
from .batching import ArrayDataset, BatchIterator, accepts_sparse_input, dense_rows
from .optimizers import optimizer_settings, resolve_optimizer, updates_lazily
from .pretrained import is_trained_model, starting_module
from .stopping import FinetuneEarlyStopping
from .validation import resolve_finetune_epochs
from .weighting import make_dataset


class NetworkBuildingMixin:
    """Builds the module, the skorch net, its callbacks and the training data.

    It reads the estimator's parameters and the target hooks of
    :class:`~sklprune._estimator.BasePrunedEstimator` (``_n_outputs``,
    ``_outputs_keyword``, ``_describe_outputs``, ``_criterion``, ``_net_class``,
    ``_net_kwargs``, ``_stratify``).
    """

    def _module_kwargs(self):
        kwargs = dict(self.module_kwargs or {})
        if self.module is None:
            kwargs.setdefault("hidden_layer_sizes", tuple(self.hidden_layer_sizes))
        return kwargs

    def _build_module(self, X):
        n_outputs = self._n_outputs()
        if self.module is None or isinstance(self.module, type):
            factory = MLP if self.module is None else self.module
            # The default MLP calls its outputs n_classes, whatever the task.
            outputs = "n_classes" if self.module is None else self._outputs_keyword
            size = {"n_features": X.shape[1], outputs: n_outputs}
            try:
                module = factory(**size, **self._module_kwargs())
            except TypeError as exc:
                raise TypeError(
                    f"Could not build {factory.__name__}(n_features=..., "
                    f"{outputs}=..., **module_kwargs): {exc}. A module class must "
                    f"accept the keyword arguments n_features and {outputs}."
                ) from exc
        else:
            module = starting_module(self.module, self, X.shape[1])
        module = module.to(self.device)
        self._check_output_shape(module, X, n_outputs)
        find_targets(module)  # a module without prunable layers fails here, early
        return module

    def _check_output_shape(self, module, X, n_outputs):
        probe = dense_rows(X, slice(0, 2)).to(self.device)
        with torch.no_grad():
            try:
                out = module.eval()(probe)
            except Exception as exc:
                raise ValueError(
                    f"The module failed on input of shape {tuple(probe.shape)} "
                    f"({X.shape[1]} features): {exc}"
                ) from exc
            finally:
                module.train()
        if tuple(out.shape) != (probe.shape[0], n_outputs):
            raise ValueError(
                f"The module returns output of shape {tuple(out.shape)} for "
                f"{probe.shape[0]} samples, but {self._describe_outputs(n_outputs)}, "
                f"shape ({probe.shape[0]}, {n_outputs})."
            )

    def _max_epochs(self):
        return resolve_max_epochs(
            self.max_epochs, self.sparsity, trained=is_trained_model(self.module)
        )

    def _finetune_epochs(self):
        return resolve_finetune_epochs(
            self.finetune_epochs, self._max_epochs(), self.sparsity
        )

    def _build_net(self, module, early_stopping=None):
        # Where the module is: self.device, or the CPU for a model trained on a GPU
        # and loaded on a machine without one.
        device = module_device(module)
        optimizer = resolve_optimizer(self.optimizer)
        return self._net_class(
            module,
            criterion=self._criterion(),
            optimizer=optimizer,
            lr=self.lr,
            max_epochs=self._max_epochs(),
            batch_size=self.batch_size,
            iterator_train=BatchIterator,
            iterator_train__shuffle=True,
            iterator_valid=BatchIterator,
            dataset=ArrayDataset,
            **{f"dataset__{k}": v for k, v in self._dataset_kwargs(module).items()},
            train_split=None,
            callbacks=self._callbacks(early_stopping),
            device=device,
            verbose=self.verbose,
            **self._net_kwargs(self._n_outputs()),
            **optimizer_settings(optimizer, self.weight_decay, device),
        )

    def _callbacks(self, early_stopping=None):
        """The net's callbacks: pruning, then early stopping and a progress bar."""
        end_epoch = self._max_epochs() - self._finetune_epochs()
        prune = PruningCallback(
            sparsity=float(self.sparsity),
            strategy=resolve_strategy(self.strategy, self.n_features_in_),
            scope=self.scope,
            granularity=self.granularity,
            budget=self.budget,
            group_reduction=self.group_reduction,
            schedule=self.schedule,
            start_epoch=1,
            end_epoch=end_epoch,
        )
        callbacks = [("prune", prune)]
        if self.early_stopping if early_stopping is None else early_stopping:
            stopping = FinetuneEarlyStopping(
                after_epoch=end_epoch,
                patience=self.n_iter_no_change,
                threshold=self.tol,
                threshold_mode="abs",
                load_best=True,
            )
            callbacks.append(("early_stopping", stopping))
        if self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        return callbacks

    def _dataset_kwargs(self, module):
        keep_sparse = accepts_sparse_input(module)
        sparse_grad = keep_sparse and updates_lazily(resolve_optimizer(self.optimizer))
        return {"keep_sparse": keep_sparse, "sparse_grad": sparse_grad}

    def _split(self, X, y, weights, rng, dataset_kwargs):
        if not self.early_stopping:
            return make_dataset(X, y, weights, **dataset_kwargs), None
        arrays = (X, y) if weights is None else (X, y, weights)
        parts = train_test_split(
            *arrays,
            test_size=self.validation_fraction,
            random_state=rng,
            stratify=self._stratify(y),
        )
        train, valid = parts[0::2], parts[1::2]
        if weights is None:
            train, valid = (*train, None), (*valid, None)
        return (
            make_dataset(*train, **dataset_kwargs),
            make_dataset(*valid, **dataset_kwargs),
        )


def module_device(module):
    """The device of the module's first parameter."""
    return next(module.parameters()).device


def device_available(device):
    """Whether ``device`` exists on this machine (a CUDA device needs a GPU)."""
    return not str(device).startswith("cuda") or torch.cuda.is_available()
