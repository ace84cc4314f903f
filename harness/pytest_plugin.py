"""sik-llms pytest plugin (being built: fixtures llm_spans, marker llm_cassette)."""
