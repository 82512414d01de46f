"""Pages of the evaluations app, by area; `urls.py` gathers their URL patterns."""
