"""Bundled resources: demo calls and the default model. Installed as the package reviewer_app.resources."""
