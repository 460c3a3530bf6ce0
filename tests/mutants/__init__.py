"""Hand-written mutants of the security paths, and the runner that reports how many the suite kills."""
