"""`make simulate`: proof that AI sourcing learns, in a seeded world (see world.py)."""
