"""Benchmarks and the generator of large, realistic databases they measure (not tests)."""
