"""Command-line entry points behind run.py: one module per group of subcommands."""
