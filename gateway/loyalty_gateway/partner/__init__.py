"""The partner API of ../shared/seeds/partner-api-v1.1-balance-rewards.txt, in its exact shapes."""
