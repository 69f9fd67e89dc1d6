"""Pure rules and plain data: no I/O, no Qt."""
