"""Who may do what: accounts, signed tokens, scopes, and the audit log of suggestions."""
