"""Trial analysis: statistics, Analysis Results Data (ARD) records and JAMA-style rounding.

A pure domain core: it takes tidy values and returns numbers and records, with no I/O.
"""
