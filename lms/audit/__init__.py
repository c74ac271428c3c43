"""The audit log of organizers' actions: who did what, and when."""
