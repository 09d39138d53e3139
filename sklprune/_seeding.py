"""Seeding torch inside a block, for every module that trains a network."""

import torch


class seeded_torch:
    """Seed torch inside a block without touching the caller's generators.

    Parameters
    ----------
    seed : int
        Seed of torch's generators inside the block.
    device : str or torch.device
        The CUDA generator of a ``"cuda"`` device is forked and seeded too.

    Examples
    --------
    >>> import torch
    >>> from sklprune._seeding import seeded_torch
    >>> with seeded_torch(0, "cpu"):
    ...     a = torch.rand(2)
    >>> with seeded_torch(0, "cpu"):
    ...     b = torch.rand(2)
    >>> bool(torch.equal(a, b))
    True
    """

    def __init__(self, seed, device):
        self.seed = seed
        self.devices = []
        if str(device).startswith("cuda") and torch.cuda.is_available():
            self.devices = [torch.device(device).index or 0]

    def __enter__(self):
        self._fork = torch.random.fork_rng(devices=self.devices)
        self._fork.__enter__()
        torch.manual_seed(self.seed)
        return self

    def __exit__(self, *exc):
        return self._fork.__exit__(*exc)
