"""Benchmarks: tumble's own physics throughput and the anchor engines it is compared to."""
