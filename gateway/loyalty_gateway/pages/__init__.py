"""The member's pages of the OAuth flow: authorize, log in or register, consent."""
