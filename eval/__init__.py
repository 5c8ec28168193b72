"""The scoring harness (newsclaims.eval), in stages: loaders (the predictions format and its checks)
-> spans (placing text) -> matching (``newsclaims.matching``: candidates, the one prune, the exact
matcher; each scheme's rank in ``schemes``) -> layers (one layer's spans as arrays, in canonical order)
-> scoring (every rule and number; ``scoring.score`` is the pipeline; ``errors`` lists each error in
context) -> report and compare. adapters run models; bench measures.
"""
