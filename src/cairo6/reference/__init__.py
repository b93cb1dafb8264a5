"""Published numbers of a study's paper and the published-vs-reproduced comparison.

Generic: a study carries its paper's numbers in its own `published.toml` (CAIRO6's lives in
`studies/cairo6/`); these modules read such a file and hold it against the analysis results.
"""
