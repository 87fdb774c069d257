"""The straightforward handler the seed deployment guide implies: the benchmarks' baseline."""
