"""Trainer authoring in the browser: drafts of modules and lessons, questions, course export."""
