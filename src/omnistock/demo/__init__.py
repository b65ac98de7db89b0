"""`omnistock demo`: a believable retailer, seeded, with simulated live traffic."""
