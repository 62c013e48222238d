"""Widgets: layout and drawing only; they emit signals and never write to the database."""
