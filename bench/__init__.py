"""Benchmarks of directus_shares; run ``python -m bench.share_page`` (see docs/benchmarks.md)."""
