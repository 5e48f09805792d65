"""A runnable demo site that uses directus_shares the way a project would."""
