"""What fitting a network needs: batching, sparse gradients, sample weights, seeding
and the automatic rules (epochs, strategy) of the estimators."""
