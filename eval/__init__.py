"""The scoring harness (newsclaims.eval): loaders, spans, matching strategies, evaluator."""
