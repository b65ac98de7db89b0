"""The dashboard: a one-page app served by omnistock, and the figures it shows."""
