"""Test support shared by every service's tests: the real broker, the real databases."""
