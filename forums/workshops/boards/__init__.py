"""Live workshop boards: columns, clusters, cards, dot votes, exports."""
