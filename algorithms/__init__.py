"""Zero-respecting distributed algorithms with compressed communication."""
