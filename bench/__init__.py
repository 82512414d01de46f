"""`make bench`: time cosodang's pages and import/export on a large PostgreSQL database."""
