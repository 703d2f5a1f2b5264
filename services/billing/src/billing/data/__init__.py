"""Package data: the rate table and the agreement profiles (TOML, edited by operators)."""
