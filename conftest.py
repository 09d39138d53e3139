import torch

# Two threads on a shared 2-core machine were measured up to 47x slower than one.
# At the repository root, so the library's doctests run with one thread too.
torch.set_num_threads(1)
