"""Needs surveys, feedback forms, follow-up surveys and the suggestion box."""
