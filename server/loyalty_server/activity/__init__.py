"""The activity domain: partner activities, purchases and returns, and the earning rules engine."""
