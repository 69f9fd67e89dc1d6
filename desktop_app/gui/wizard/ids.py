"""Page ids of the sync wizard, in order (R8–R15)."""

MODULE, LIST, SUBSCRIPTION, TOPICS, LAWFUL_BASIS, UPDATE_EMPTY, SCHEDULE, MAPPING = range(8)
