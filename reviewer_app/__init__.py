"""reviewer_app: desktop call-centre speech quality inspection."""

__version__ = "0.1.0"
