"""Reference data from the CAIRO6 publications, for tests and published-vs-reproduced checks."""
