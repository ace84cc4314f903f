"""One module per sik-llms subcommand (see harness/cli/main.py)."""
