"""Auth: partner OAuth clients and grants, member logins, service accounts, signing keys, the audit log,
and the authentication and authorization of every call."""
