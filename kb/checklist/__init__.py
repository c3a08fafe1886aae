"""The guide's question checklist and officers' assessments of their proposals against it."""
