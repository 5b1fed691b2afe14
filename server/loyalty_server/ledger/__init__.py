"""The ledger: members, accounts, double-entry postings, lots and balances — the single source of truth."""
