"""Everything in `generated/` is produced here from `spec/`, deterministically."""
