"""Accounts, roles, registration, login and profiles; organizers' user management."""
