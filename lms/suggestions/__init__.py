"""The suggestion box (意见箱): open any time, named or anonymous, triaged by organizers."""
