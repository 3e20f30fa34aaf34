"""Pure domain: models, lifecycle rules, sourcing maths. No I/O here."""
