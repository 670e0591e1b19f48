"""What the bot says: pure functions from domain values to text; no Bot, no session."""
