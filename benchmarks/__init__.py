"""Benchmarks of rxstruct against the libraries a user would otherwise pick."""
