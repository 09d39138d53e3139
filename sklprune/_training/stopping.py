"""How a fit ends before its last epoch: early stopping that waits for the end of
the pruning schedule, and a fit cut short by Ctrl-C refused."""

from skorch.callbacks import EarlyStopping


class FinetuneEarlyStopping(EarlyStopping):
    """skorch's EarlyStopping, counting only epochs after the pruning schedule.

    Parameters
    ----------
    after_epoch : int, default=0
        The last epoch of the pruning schedule; earlier epochs are not watched.
    **kwargs
        Passed to :class:`skorch.callbacks.EarlyStopping`.
    """

    def __init__(self, after_epoch=0, **kwargs):
        super().__init__(**kwargs)
        self.after_epoch = after_epoch

    def initialize(self):
        super().initialize()
        self.stopped_ = False
        return self

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) > self.after_epoch:
            try:
                super().on_epoch_end(net, **kwargs)
            except KeyboardInterrupt:  # skorch stops training by raising it
                self.stopped_ = True
                raise


def raise_if_interrupted(net, estimator_type):
    """skorch swallows Ctrl-C and returns a half-trained net; fit must not.

    Parameters
    ----------
    net : skorch.NeuralNet
        The net after ``fit``.
    estimator_type : str
        What was not fitted, for the message (``"classifier"``).
    """
    early_stopped = any(getattr(cb, "stopped_", False) for _, cb in net.callbacks_)
    finished = len(net.history) == net.max_epochs or early_stopped
    last_epoch_complete = len(net.history) > 0 and "sparsity" in net.history[-1]
    if not (finished and last_epoch_complete):
        raise KeyboardInterrupt(
            f"Training was interrupted after {len(net.history)} of {net.max_epochs} "
            f"epochs; the {estimator_type} was not fitted."
        )
