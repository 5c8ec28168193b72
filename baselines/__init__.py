"""Reference baselines (newsclaims.baselines), each a --model name for newsclaims eval."""
