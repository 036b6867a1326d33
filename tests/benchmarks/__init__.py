"""Speed benchmarks (pytest-benchmark); a package so its conftest does not shadow tests/conftest."""
