"""Code search: regex, symbol and plain-language queries over the configured repositories."""
