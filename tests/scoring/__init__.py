"""Tests of cairo6.scoring (a package so its module names cannot clash with other test folders)."""
