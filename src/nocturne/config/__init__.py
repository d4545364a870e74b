"""Config: config.json read, checked and turned into typed settings."""
