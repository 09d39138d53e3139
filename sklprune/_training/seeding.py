"""Seeding torch inside a block, for every module that trains a network."""

import threading

import torch

# torch's generators are shared by every thread of a process: a block that seeds
# and draws from them holds this lock, so fits in threads side by side take turns
# and each draws only its own sequence.
TORCH_RNG_LOCK = threading.RLock()


class seeded_torch:
    """Seed torch inside a block without touching the caller's generators.

    The block holds :data:`TORCH_RNG_LOCK`: blocks in other threads wait for it,
    so their draws cannot interleave with this one's.

    Parameters
    ----------
    seed : int
        Seed of torch's generators inside the block.
    device : str or torch.device
        The CUDA generator of a ``"cuda"`` device is forked and seeded too.

    Examples
    --------
    >>> import torch
    >>> from sklprune._training.seeding import seeded_torch
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
        TORCH_RNG_LOCK.acquire()
        try:
            self._fork = torch.random.fork_rng(devices=self.devices)
            self._fork.__enter__()
            torch.manual_seed(self.seed)
        except BaseException:
            TORCH_RNG_LOCK.release()
            raise
        return self

    def __exit__(self, *exc):
        try:
            return self._fork.__exit__(*exc)
        finally:
            TORCH_RNG_LOCK.release()
