"""`python -m cairo6` runs the command line."""

from cairo6.cli import main

main()
