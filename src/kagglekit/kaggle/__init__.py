"""Kaggle itself: the API client behind a fast check (credentials, reachable), downloads, and our submissions' log."""
