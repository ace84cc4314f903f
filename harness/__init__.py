"""The sik-llms harness: cassettes, capture, span trees, simulator, CLI."""
