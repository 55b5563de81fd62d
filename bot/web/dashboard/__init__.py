"""The operators' analytics dashboard at /dashboard (docs/dashboard.md)."""
