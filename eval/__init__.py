"""The scoring harness (newsclaims.eval), in stages: predictions (the predictions format and its checks)
-> spans (placing text) -> matching (``newsclaims.matching``: candidates, the one prune, the exact
matcher; each scheme's rank in ``schemes``) -> layers (one layer's spans as arrays, in canonical order)
-> scoring (every rule and number; ``scoring.score`` computes them; ``errors`` lists each error in
context) -> report and compare. ``pipeline.evaluate`` scores a run (a source's predictions, scored and
reported); the adapters package runs models; bench measures (a developer tool, not in the wheel).
"""
