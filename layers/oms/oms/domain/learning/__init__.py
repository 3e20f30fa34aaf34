"""The learning loop's pure parts (ADR 0023): order features and clusters, outcome labels, node
statistics and patterns, experiment arms and winners, and the built-in advisor."""
