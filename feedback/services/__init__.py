"""Use cases. Each takes a session and flushes, never commits: the caller owns the transaction
(a web request commits once, a CLI command uses ``with db.write()``, tests roll back)."""
