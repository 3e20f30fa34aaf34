"""Adapters to the outside world: Step Functions, token signing, password hashing, secrets."""
