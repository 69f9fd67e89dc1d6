"""One sync run: read → plan → write → record, checkpointed. No Qt here."""
