"""What training needs: batching, sparse gradients, sample weights, seeding, the
optimizers, the automatic rules (epochs, strategy) and early stopping of the
estimators, and the pruning callback's per-fit state (its runtime caches, the masks
of the starting weights, saved weights, the optimizer state of pruned entries)."""
