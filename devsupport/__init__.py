"""Development support shared by the tests and the benchmarks; never loaded in production."""
