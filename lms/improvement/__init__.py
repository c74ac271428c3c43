"""The improvement ledger (持续改进台账): finding → action → content version → effect."""
