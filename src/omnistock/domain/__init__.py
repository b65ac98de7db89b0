"""Pure rules of omnistock: no database, no HTTP, no clock (time is passed in)."""
