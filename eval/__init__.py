"""The scoring harness (newsclaims.eval), in stages: loaders (the predictions format and its checks)
-> spans (placing text) -> matching (arrays, pruning, the exact matcher) -> scoring (every rule and
number; ``scoring.score`` computes them) -> report and compare. ``pipeline.evaluate`` scores a run (a
source's predictions, scored and reported); the adapters package runs models; bench measures (a
developer tool, not in the wheel).
"""
