"""The scoring harness (newsclaims.eval), in stages: loaders (the predictions format and its checks)
-> spans (placing text) -> matching (arrays, pruning, the exact matcher) -> scoring (every rule and
number; ``scoring.score`` is the pipeline) -> report and compare. adapters run models; bench measures.
"""
