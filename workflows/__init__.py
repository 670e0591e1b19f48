"""Workflows that talk to Telegram mid-way, so cannot be one transaction: the outbox sender,
forum topics (created before their id is known), referral payouts (asks whether a friend
stayed), moderation, rights notices and quiet mode. Each public method commits the update so
far itself before it calls Telegram."""
