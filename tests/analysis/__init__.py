"""Tests of cairo6.analysis (a package so its module names cannot clash with other test folders)."""
