"""GUI models: Qt item models over immutable rows (no I/O)."""
