"""One router per area; each operation checks its permission with the same table as the UI."""
