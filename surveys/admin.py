"""Surveys are managed on the tenant's pages and the API; the Django admin shows none of them, like the
other tenant-owned models that have their own pages."""
